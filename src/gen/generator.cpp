#include "gen/generator.hpp"

namespace kith::gen {

Status Generate(const Options&) { return Fail(ErrorCode::INTERNAL, "kith gen is not built yet"); }

} // namespace kith::gen
