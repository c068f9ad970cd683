#include "deliver/destination.hpp"

#include "common/confined_path.hpp"
#include "common/text.hpp"
#include "deliver/catalog.hpp"
#include "deliver/file_destination.hpp"
#include "deliver/http_destinations.hpp"
#include "deliver/mapping.hpp"

#include <fmt/format.h>

namespace kith::deliver {

namespace {

// The types MakeDestination builds, with their builders.
using Builder = Result<std::unique_ptr<Destination>> (*)(const nlohmann::json& destination, const std::string& action,
                                                         const nlohmann::json& mapping, Mapper mapper,
                                                         const DestinationContext& ctx);

Result<std::unique_ptr<Destination>> MakeHttp(const nlohmann::json& destination, const std::string& action,
                                              const nlohmann::json& mapping, Mapper mapper,
                                              const DestinationContext& ctx) {
    return MakeHttpDestination(destination["type"].get<std::string>(), destination, action, mapping, std::move(mapper),
                               ctx);
}

Result<std::unique_ptr<Destination>> MakeFile(const nlohmann::json& destination, const std::string&,
                                              const nlohmann::json&, Mapper mapper, const DestinationContext& ctx) {
    auto path = destination.find("path");
    if (path == destination.end() || !path->is_string() || path->get<std::string>().empty()) {
        return Fail(ErrorCode::INVALID, "a file destination needs \"path\", a non-empty string");
    }
    const std::string& root = ctx.delivery.file_root;
    if (root.empty()) return Fail(ErrorCode::INVALID, "file destinations need [delivery] file_root");
    auto relative = confined::RelativePath(root, path->get<std::string>());
    if (!relative) return Fail(ErrorCode::INVALID, "unusable \"path\": " + relative.error().message);
    return std::make_unique<FileDestination>(root, *relative, std::move(mapper));
}

struct Implementation {
    std::string_view type;
    Builder build;
};

constexpr Implementation kImplemented[] = {
    {"webhook", MakeHttp},
    {"braze", MakeHttp},
    {"iterable", MakeHttp},
    {"segment", MakeHttp},
    {"file", MakeFile},
};

std::string ImplementedList() {
    std::string out;
    for (const auto& i : kImplemented) out += (out.empty() ? "" : ", ") + std::string(i.type);
    return out;
}

} // namespace

std::string Outcome::Describe() const {
    if (status == 0) return error;
    if (error.empty()) return fmt::format("status {}", status);
    return fmt::format("status {}: {}", status, error);
}

std::string_view OutcomeKindName(Outcome::Kind kind) {
    switch (kind) {
    case Outcome::DELIVERED: return "delivered";
    case Outcome::RETRY: return "retry";
    case Outcome::FAILED: return "failed";
    case Outcome::FILTERED: return "filtered";
    }
    return "?";
}

bool IsImplemented(std::string_view type) {
    for (const auto& i : kImplemented) {
        if (i.type == type) return true;
    }
    return false;
}

Result<Mapper> MakeMapper(const std::string& type, const std::string& action, const nlohmann::json& mapping) {
    const DestinationType* known = FindDestinationType(type);
    const Action* a = known ? FindAction(*known, action.empty() ? known->actions.front().name : action) : nullptr;
    if (!a) return Fail(ErrorCode::INVALID, fmt::format("unknown action {} for a {} destination", text::Quote(action), type));
    if (a->fields.empty() && mapping.is_null()) return Mapper(nullptr); // the payload itself
    auto compiled = CompiledMapping::Compile(*a, mapping);
    if (!compiled) return std::unexpected(compiled.error());
    auto shared = std::make_shared<CompiledMapping>(std::move(*compiled));
    return Mapper([shared](const nlohmann::json& payload) { return shared->Map(payload); });
}

Result<std::unique_ptr<Destination>> MakeDestination(const nlohmann::json& destination, const std::string& action,
                                                     const nlohmann::json& mapping, const DestinationContext& ctx) {
    if (!destination.is_object() || !destination.contains("type") || !destination["type"].is_string()) {
        return Fail(ErrorCode::INVALID, "the destination has no \"type\"");
    }
    std::string type = destination["type"].get<std::string>();
    const DestinationType* known = FindDestinationType(type);
    if (!known) {
        return Fail(ErrorCode::INVALID,
                    fmt::format("unknown destination type {} (expected {})", text::Quote(type), DestinationTypeList()));
    }
    if (!action.empty()) {
        bool found = false;
        for (const auto& a : known->actions) found = found || a.name == action;
        if (!found) {
            return Fail(ErrorCode::INVALID,
                        fmt::format("unknown action {} for a {} destination", text::Quote(action), type));
        }
    }
    std::string chosen = action.empty() ? known->actions.front().name : action;
    for (const auto& i : kImplemented) {
        if (i.type != type) continue;
        auto mapper = MakeMapper(type, chosen, mapping);
        if (!mapper) return Fail(ErrorCode::INVALID, "unusable mapping: " + mapper.error().message);
        return i.build(destination, chosen, mapping, std::move(*mapper), ctx);
    }
    return Fail(ErrorCode::INVALID,
                fmt::format("delivery to {} destinations is not implemented yet in this kith (implemented: {})", type,
                            ImplementedList()));
}

} // namespace kith::deliver
