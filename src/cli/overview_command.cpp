#include "cli/overview_command.hpp"

#include "cli/report.hpp"
#include "cli/state.hpp"

#include "common/text.hpp"
#include "engine/engine.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

namespace kith::cli {

namespace {

using nlohmann::json;

// An ISO 8601 time as --as-of takes it, in UTC milliseconds (rounded down).
Result<int64_t> ParseTime(const std::string& flag, const std::string& text) {
    auto micros = engine::ParseAsOf(text);
    if (!micros) {
        return Fail(ErrorCode::USAGE,
                    fmt::format("{} takes an ISO 8601 timestamp such as 2026-01-01T00:00:00Z, found {}", flag, text));
    }
    return *micros / 1000 - (*micros % 1000 < 0 ? 1 : 0);
}

// The steps of a row in the spec's order, with the names the JSON uses.
std::vector<std::pair<const char*, int64_t>> Steps(const store::OverviewRow& r) {
    return {{"from_audience", r.from_audience},
            {"filtered_at_source", r.filtered_at_source},
            {"filtered_at_destination", r.filtered_at_destination},
            {"queued", r.queued},
            {"pending_retry", r.pending_retry},
            {"failed", r.failed},
            {"delivered", r.delivered}};
}

// Left-aligned text columns, then right-aligned numbers, two spaces apart.
void PrintTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                size_t text_columns) {
    std::vector<size_t> width(header.size());
    for (size_t c = 0; c < header.size(); ++c) {
        width[c] = header[c].size();
        for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (size_t c = 0; c < cells.size(); ++c) {
            if (c > 0) out += "  ";
            out += c < text_columns ? fmt::format("{:<{}}", cells[c], width[c])
                                    : fmt::format("{:>{}}", cells[c], width[c]);
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        fmt::print("{}\n", out);
    };
    line(header);
    for (const auto& row : rows) line(row);
}

std::string EventLabel(const std::string& name) { return name.empty() ? "(identify)" : name; }

// One line of TSV: tabs and line breaks inside a value become spaces.
std::string Cell(std::string s) {
    std::replace_if(s.begin(), s.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
    return s;
}

int PrintOverview(const OverviewArgs& args, store::Store& store, const store::OverviewFilter& filter) {
    auto rows = store.Transaction([&](store::Tx& tx) { return tx.DeliveryOverview(filter); });
    if (!rows) return Report(rows.error());
    store::OverviewRow total;
    for (const auto& r : *rows) {
        total.from_audience += r.from_audience;
        total.filtered_at_source += r.filtered_at_source;
        total.filtered_at_destination += r.filtered_at_destination;
        total.queued += r.queued;
        total.pending_retry += r.pending_retry;
        total.failed += r.failed;
        total.delivered += r.delivered;
    }
    bool buckets = filter.bucket_ms > 0;
    if (args.json) {
        json list = json::array();
        for (const auto& r : *rows) {
            list.push_back(store::OverviewRowJson(r, buckets));
        }
        json totals = json::object();
        for (const auto& [name, n] : Steps(total)) totals[name] = n;
        json out = {{"from", filter.from_ms ? json(text::IsoMillis(*filter.from_ms)) : json(nullptr)},
                    {"to", filter.to_ms ? json(text::IsoMillis(*filter.to_ms)) : json(nullptr)},
                    {"bucket_ms", buckets ? json(filter.bucket_ms) : json(nullptr)},
                    {"rows", list},
                    {"total", totals}};
        fmt::print("{}\n", out.dump(2, ' ', false, json::error_handler_t::replace));
        return 0;
    }
    std::vector<std::string> header = {"activation", "event"};
    if (buckets) header.push_back("bucket");
    size_t text_columns = header.size();
    for (const char* h : {"from audience", "filtered at source", "filtered at destination", "queued", "pending retry",
                          "failed", "delivered"}) {
        header.push_back(h);
    }
    std::vector<std::vector<std::string>> table;
    for (const auto& r : *rows) {
        std::vector<std::string> row = {r.activation_key, EventLabel(r.event_name)};
        if (buckets) row.push_back(text::IsoMillis(r.bucket_start));
        for (const auto& [_, n] : Steps(r)) row.push_back(std::to_string(n));
        table.push_back(std::move(row));
    }
    if (rows->size() > 1) {
        std::vector<std::string> row = {"total", ""};
        if (buckets) row.push_back("");
        for (const auto& [_, n] : Steps(total)) row.push_back(std::to_string(n));
        table.push_back(std::move(row));
    }
    PrintTable(header, table, text_columns);
    return 0;
}

int PrintEvents(const OverviewArgs& args, store::Store& store, const store::OverviewFilter& filter,
                store::OverviewStep step, const std::map<int64_t, std::string>& keys) {
    // One more than the page tells whether another page follows.
    auto events = store.Transaction(
        [&](store::Tx& tx) { return tx.OverviewEvents(step, filter, args.limit + 1, args.after); });
    if (!events) return Report(events.error());
    std::optional<int64_t> next;
    if (static_cast<int64_t>(events->size()) > args.limit) {
        events->resize(static_cast<size_t>(args.limit));
        next = events->back().id;
    }
    auto key = [&](int64_t id) {
        auto it = keys.find(id);
        return it == keys.end() ? std::to_string(id) : it->second;
    };
    if (args.json) {
        json list = json::array();
        for (const auto& e : *events) {
            list.push_back(store::OverviewEventJson(e, key(e.activation_id)));
        }
        json out = {{"step", store::OverviewStepName(step)},
                    {"events", list},
                    {"next_after", next ? json(*next) : json(nullptr)}};
        fmt::print("{}\n", out.dump(2, ' ', false, json::error_handler_t::replace));
        return 0;
    }
    fmt::print("id\tmessage_id\tactivation\tevent\tqueued_at\tattempts\tstatus_code\treason\n");
    for (const auto& e : *events) {
        fmt::print("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", e.id, e.message_id, Cell(key(e.activation_id)),
                   Cell(EventLabel(e.event_name)), text::IsoMillis(e.created_at), e.attempts, e.last_status,
                   Cell(e.last_error));
    }
    if (next) fmt::print(stderr, "kith: more events follow: --after {}\n", *next);
    return 0;
}

} // namespace

std::optional<int64_t> ParseBucket(const std::string& text) {
    if (text == "none" || text == "0") return 0;
    return text::ParseDurationMs(text);
}

int Overview(const OverviewArgs& args) {
    store::OverviewFilter filter;
    if (!args.from.empty()) {
        auto from = ParseTime("--from", args.from);
        if (!from) return Report(from.error());
        filter.from_ms = *from;
    }
    if (!args.to.empty()) {
        auto to = ParseTime("--to", args.to);
        if (!to) return Report(to.error());
        filter.to_ms = *to;
    }
    auto bucket = ParseBucket(args.bucket);
    if (!bucket) {
        return Report(Error{ErrorCode::USAGE,
                            "--bucket takes a size such as 15m, 1h or 1d (units ms, s, m, h, d), or none; found " +
                                args.bucket,
                            {}});
    }
    filter.bucket_ms = *bucket;
    std::optional<store::OverviewStep> step;
    if (!args.list.empty()) {
        step = store::ParseOverviewStep(args.list);
        if (!step) {
            return Report(Error{ErrorCode::USAGE,
                                "--list takes from_audience, filtered_at_source, filtered_at_destination, failed or "
                                "delivered; found " + args.list,
                                {}});
        }
    }
    filter.event_name = args.event;

    OpenedState o;
    if (int rc = OpenState(args.config, o); rc != 0) return rc;
    filter.workspace_id = o.workspace;
    auto activations = o.store->ListActivations(o.workspace);
    if (!activations) return Report(activations.error());
    std::map<int64_t, std::string> keys;
    for (const auto& a : *activations) {
        keys[a.id] = a.spec.key;
        if (a.spec.key == args.activation) filter.activation_id = a.id;
    }
    if (!args.activation.empty() && !filter.activation_id) {
        return Report(Error{ErrorCode::NOT_FOUND, "no activation with key " + args.activation, {}});
    }
    if (step) return PrintEvents(args, *o.store, filter, *step, keys);
    return PrintOverview(args, *o.store, filter);
}

} // namespace kith::cli
