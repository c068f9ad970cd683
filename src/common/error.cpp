#include "common/error.hpp"

namespace kith {

int ExitCodeFor(ErrorCode code) {
    switch (code) {
    case ErrorCode::INVALID:
    case ErrorCode::NOT_FOUND:
    case ErrorCode::IO:
        return 1;
    case ErrorCode::USAGE:
        return 2;
    case ErrorCode::WAREHOUSE:
        return 3;
    case ErrorCode::CONFLICT:
        return 5;
    case ErrorCode::INTERNAL:
        return 70;
    }
    return 70;
}

} // namespace kith
