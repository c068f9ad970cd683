#include "audience/model.hpp"

namespace kith::audience {

std::string_view OpName(Op op) {
    switch (op) {
    case Op::EQUALS:
        return "equals";
    case Op::NOT_EQUALS:
        return "not_equals";
    case Op::CONTAINS:
        return "contains";
    case Op::NOT_CONTAINS:
        return "not_contains";
    case Op::STARTS_WITH:
        return "starts_with";
    case Op::ENDS_WITH:
        return "ends_with";
    case Op::LESS_THAN:
        return "less_than";
    case Op::GREATER_THAN:
        return "greater_than";
    case Op::LESS_THAN_OR_EQUAL:
        return "less_than_or_equal";
    case Op::GREATER_THAN_OR_EQUAL:
        return "greater_than_or_equal";
    case Op::ONE_OF:
        return "one_of";
    case Op::NOT_ONE_OF:
        return "not_one_of";
    case Op::EXISTS:
        return "exists";
    case Op::NOT_EXISTS:
        return "not_exists";
    }
    return "?";
}

bool Count::Holds(int64_t n) const {
    switch (op) {
    case CountOp::AT_LEAST:
        return n >= value;
    case CountOp::EXACTLY:
        return n == value;
    case CountOp::AT_MOST:
        return n <= value;
    }
    return false;
}

int64_t Window::SpanMicros() const {
    int64_t minutes = 0;
    switch (unit) {
    case TimeUnit::MINUTES:
        minutes = value;
        break;
    case TimeUnit::HOURS:
        minutes = value * 60;
        break;
    case TimeUnit::DAYS:
        minutes = value * 60 * 24;
        break;
    case TimeUnit::WEEKS:
        minutes = value * 60 * 24 * 7;
        break;
    }
    return minutes * 60 * 1000000;
}

} // namespace kith::audience
