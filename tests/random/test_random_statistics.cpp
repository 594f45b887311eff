// RandomStream's normals as random numbers: moments, a chi-square over 1,000 equiprobable bins
// (slow), the independence of streams, and two sequences that do not disturb each other. All
// draws are synthetic: fixed seeds, no data.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include <Random123/philox.h>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>

#include "kcube/random.hpp"

namespace {

using kcube::RandomStream;

/// Sample central moments of a set of draws.
struct Moments {
  double n = 0.0, mean = 0.0, variance = 0.0, skewness = 0.0, excess_kurtosis = 0.0;
};

Moments moments_of(const std::vector<double>& x) {
  Moments m;
  m.n = static_cast<double>(x.size());
  for (const double v : x)
    m.mean += v;
  m.mean /= m.n;
  double m2 = 0.0, m3 = 0.0, m4 = 0.0;
  for (const double v : x) {
    const double d = v - m.mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= m.n;
  m3 /= m.n;
  m4 /= m.n;
  m.variance = m2;
  m.skewness = m3 / std::pow(m2, 1.5);
  m.excess_kurtosis = m4 / (m2 * m2) - 3.0;
  return m;
}

/// Sample correlation of x and y.
double correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const Moments mx = moments_of(x), my = moments_of(y);
  double c = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i)
    c += (x[i] - mx.mean) * (y[i] - my.mean);
  return c / mx.n / std::sqrt(mx.variance * my.variance);
}

}  // namespace

TEST_CASE("random: a million normals have standard normal moments within 4 standard errors") {
  // 1,000 streams x 1,000 normals: every stream crosses the first block (4) and many later
  // blocks (32).
  std::vector<double> z;
  z.reserve(1'000'000);
  for (std::uint64_t trial = 0; trial < 1000; ++trial) {
    RandomStream stream(314159, 2, trial);
    for (int i = 0; i < 1000; ++i)
      z.push_back(stream.normal());
  }
  const Moments m = moments_of(z);
  MESSAGE("mean " << m.mean << ", variance " << m.variance << ", skewness " << m.skewness
                  << ", excess kurtosis " << m.excess_kurtosis);
  // Standard errors for N(0, 1): mean sqrt(1/n), variance sqrt(2/n), skewness sqrt(6/n), excess
  // kurtosis sqrt(24/n); each bound is 4 of them (a false alarm 6e-5 per check).
  const double n = m.n;
  CHECK(std::fabs(m.mean) < 4.0 * std::sqrt(1.0 / n));
  CHECK(std::fabs(m.variance - 1.0) < 4.0 * std::sqrt(2.0 / n));
  CHECK(std::fabs(m.skewness) < 4.0 * std::sqrt(6.0 / n));
  CHECK(std::fabs(m.excess_kurtosis) < 4.0 * std::sqrt(24.0 / n));
}

TEST_CASE("random: ten million normals fill 1000 equiprobable bins as a standard normal would" *
          doctest::test_suite("slow")) {
  // Bin i holds (q(i / 1000), q((i + 1) / 1000)], q the standard normal quantile; under the null
  // each bin expects n / 1000 and the statistic is chi-square with 999 degrees of freedom.
  constexpr std::size_t kBins = 1000;
  constexpr std::size_t kStreams = 100'000, kPerStream = 100;
  const boost::math::normal_distribution<double> standard;
  std::vector<double> edges(kBins - 1);
  for (std::size_t i = 1; i < kBins; ++i)
    edges[i - 1] = boost::math::quantile(standard, static_cast<double>(i) / kBins);
  std::vector<double> counts(kBins, 0.0);
  for (std::uint64_t trial = 0; trial < kStreams; ++trial) {
    RandomStream stream(271828, 9, trial, 1);
    for (std::size_t i = 0; i < kPerStream; ++i) {
      const double z = stream.normal();
      counts[static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), z) -
                                      edges.begin())] += 1.0;
    }
  }
  const double expected = static_cast<double>(kStreams * kPerStream) / kBins;
  double chi_square = 0.0;
  for (const double c : counts)
    chi_square += (c - expected) * (c - expected) / expected;
  const boost::math::chi_squared_distribution<double> null(kBins - 1);
  const double p = boost::math::cdf(null, chi_square);
  MESSAGE("chi-square " << chi_square << " on " << kBins - 1 << " degrees of freedom, P(X <= x) "
                        << p);
  // Two-sided at 1e-4 each way: too good a fit would be as suspect as too bad a one.
  CHECK(p > 1e-4);
  CHECK(p < 1.0 - 1e-4);
}

TEST_CASE("random: streams of different cells and trials and substreams differ") {
  // The first 4 normals (one Philox block) of 4 x 50 x 5 = 1,000 streams: no value repeats
  // (two equal 53-bit doubles by chance have probability about 1e-10 here).
  std::set<double> seen;
  std::size_t drawn = 0;
  for (std::uint64_t cell = 0; cell < 4; ++cell) {
    for (std::uint64_t trial = 0; trial < 50; ++trial) {
      for (std::uint64_t substream = 0; substream < 5; ++substream) {
        RandomStream stream(11, cell, trial, substream);
        for (int i = 0; i < 4; ++i) {
          seen.insert(stream.normal());
          ++drawn;
        }
      }
    }
  }
  CHECK(seen.size() == drawn);
  // Neighbouring trials are uncorrelated: |rho| < 4 / sqrt(n) (the standard error of a sample
  // correlation of independent variables is about 1 / sqrt(n)).
  std::vector<double> a, b, u, z;
  for (std::uint64_t trial = 0; trial < 100'000; ++trial) {
    RandomStream first(5, 0, trial), next(5, 0, trial + 1);
    a.push_back(first.normal());
    b.push_back(next.normal());
    // A stream's uniform and normal of the same index come from different sequences.
    RandomStream one(6, 0, trial);
    u.push_back(one.uniform());
    z.push_back(one.normal());
  }
  const double bound = 4.0 / std::sqrt(static_cast<double>(a.size()));
  CHECK(std::fabs(correlation(a, b)) < bound);
  CHECK(std::fabs(correlation(u, z)) < bound);
}

TEST_CASE("random: normal and uniform interleaved in any order give the separate sequences") {
  constexpr std::size_t kEach = 200;
  RandomStream uniforms_only(8, 1, 2, 3), normals_only(8, 1, 2, 3);
  std::vector<double> u_alone(kEach), z_alone(kEach);
  for (double& u : u_alone)
    u = uniforms_only.uniform();
  for (double& z : z_alone)
    z = normals_only.normal();
  // The uniforms are Philox4x64-10 words of counter (trial, block, substream, 0), as in engine
  // version 1: unchanged by the normals' sequence.
  for (std::size_t i = 0; i < kEach; ++i) {
    const r123::Philox4x64::ctr_type words = r123::Philox4x64()({{2, i / 4, 3, 0}}, {{8, 1}});
    CHECK(u_alone[i] == kcube::uniform_of_bits(words[i % 4]));
  }
  // Orders chosen by another stream, plus the two extremes (all normals first, all uniforms first).
  RandomStream chooser(1, 1, 1);
  for (int order = 0; order < 20; ++order) {
    RandomStream mixed(8, 1, 2, 3);
    std::vector<double> u, z;
    while (u.size() < kEach || z.size() < kEach) {
      const bool take_normal =
          u.size() == kEach || (z.size() < kEach && (order == 0   ? true
                                                     : order == 1 ? false
                                                                  : chooser.uniform() < 0.5));
      if (take_normal)
        z.push_back(mixed.normal());
      else
        u.push_back(mixed.uniform());
    }
    CHECK(u == u_alone);
    CHECK(z == z_alone);
  }
}
