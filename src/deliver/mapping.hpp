// TEMPORARY stand-in until the mapping kit lands (branch mapping): @path, @if exists, constants.
#pragma once
#include "common/error.hpp"
#include "deliver/catalog.hpp"
#include <nlohmann/json.hpp>
namespace kith::deliver {
class CompiledMapping {
public:
    static Result<CompiledMapping> Compile(const Action& action, const nlohmann::json& mapping);
    Result<nlohmann::json> Map(const nlohmann::json& event) const;
private:
    const Action* action_ = nullptr;
    nlohmann::json fields_; // name -> mapping
    bool free_form_ = false;
};
} // namespace kith::deliver
