// A small deterministic random source (splitmix64): the same seed gives the
// same sequence on every platform and standard library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kith::agreement {

class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}

    uint64_t Next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    //! Uniform in [0, n); 0 when n <= 0.
    int64_t Below(int64_t n) { return n <= 0 ? 0 : static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }
    //! Uniform in [lo, hi].
    int64_t Between(int64_t lo, int64_t hi) { return lo + Below(hi - lo + 1); }
    //! True with probability percent/100.
    bool Chance(int percent) { return Below(100) < percent; }
    template <class T> const T& Pick(const std::vector<T>& v) {
        return v[static_cast<size_t>(Below(static_cast<int64_t>(v.size())))];
    }
    //! A seed for an independent stream.
    uint64_t Fork() { return Next(); }

private:
    uint64_t state_;
};

} // namespace kith::agreement
