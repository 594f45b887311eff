// kcube public SDK, umbrella header: everything a plugin author needs.
#pragma once

#include "kcube/aggregator.hpp"     // IWYU pragma: export
#include "kcube/candidate.hpp"      // IWYU pragma: export
#include "kcube/candidate_csv.hpp"  // IWYU pragma: export
#include "kcube/error.hpp"          // IWYU pragma: export
#include "kcube/estimators.hpp"     // IWYU pragma: export
#include "kcube/format.hpp"         // IWYU pragma: export
#include "kcube/geometry.hpp"       // IWYU pragma: export
#include "kcube/model_profile.hpp"  // IWYU pragma: export
#include "kcube/optimizer.hpp"      // IWYU pragma: export
#include "kcube/params.hpp"         // IWYU pragma: export
#include "kcube/pareto.hpp"         // IWYU pragma: export
#include "kcube/plugin.hpp"         // IWYU pragma: export
#include "kcube/quadrature.hpp"     // IWYU pragma: export
#include "kcube/random.hpp"         // IWYU pragma: export
#include "kcube/sample_log.hpp"     // IWYU pragma: export
#include "kcube/scenario.hpp"       // IWYU pragma: export
#include "kcube/token_cost.hpp"     // IWYU pragma: export
