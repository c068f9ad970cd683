// Canonical text of typed values: schema/canonical.hpp, as the drivers name it.
#pragma once

#include "schema/canonical.hpp"

namespace kith::warehouse {
namespace canonical = schema::canonical;
} // namespace kith::warehouse
