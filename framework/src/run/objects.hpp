// Private: the plugin objects of a run, made once per (kind, plugin, canonical parameters) and
// used by every check and every cell that names them, instead of afresh for each (a gaussian
// profile's constructor computes its exact moments: 7.8 % of the paper study's time when every
// cell made its own, issue 18).
//
// - Keyed on the canonical parameters (check_params, canonical_spec): two manifest entries, or
//   two sweep points, that give a plugin the same parameters share one object, however the
//   values were written.
// - A factory's failure is kept too, keyed on the entry's spec text ("profiles.bad
//   (faulty-profile)") and its parameters, and thrown again, the same exception, to every later
//   cell of that entry: those cells fail with the message they always had, and the cells of other
//   objects run. Another entry with the same parameters calls the factory itself, so that its
//   message names it.
// - Thread safety (kcube/plugin.hpp) is kept by leases. A `shared` plugin's one object is handed
//   to every lease. An object of a per_thread or serial plugin is lent to one lease at a time
//   and comes back when the lease ends; a lease that finds every object lent gets a new one
//   (the per_thread copies of a Monte Carlo cell on several threads, or a cell abandoned by
//   --cell-timeout whose thread may still call its objects: they are not lent again until that
//   thread lets go of them).
// - Objects live as long as the cache (the run): at most one object per distinct parameter set
//   and thread, which the factory checks already held at once before caching
//   (check_compatible keeps every profile and aggregator of the run alive together).
#pragma once

#include <cstddef>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "host/plugin_host.hpp"
#include "manifest/manifest.hpp"
#include "run/watchdog.hpp"

namespace kcube {

/// The spec of a plugin use for messages: "profiles.gpt5 (gaussian)".
PluginSpec spec_of(const PluginUse& use, const std::string& section);

/// The keys of a plugin use in an ObjectCache.
struct ObjectKeys {
  /// Kind, plugin and canonical parameters; empty when the parameters do not pass the schema (no
  /// object can be made: the factory is not called).
  std::string object;
  /// The spec text and the parameters as given: which failure a cell of this use sees again.
  std::string failure;
};

/// The keys of `spec`'s use of `plugin` as a `kind` object.
ObjectKeys object_keys(const LoadedPlugin& plugin, PluginKind kind, const PluginSpec& spec);

template <class T>
class ObjectCache;

/// One plugin object borrowed from an ObjectCache (see the file comment); given back when the
/// lease is destroyed. Movable, not copyable. The cache must outlive it.
template <class T>
class ObjectLease {
 public:
  ObjectLease(ObjectLease&& other) noexcept
      : instance_(std::move(other.instance_)), idle_(std::exchange(other.idle_, nullptr)) {}
  ObjectLease& operator=(ObjectLease&&) = delete;
  ObjectLease(const ObjectLease&) = delete;
  ObjectLease& operator=(const ObjectLease&) = delete;
  ~ObjectLease() { give_back(); }

  /// The object, with its plugin and parameters.
  const PluginInstance<T>& operator*() const { return *instance_; }
  const PluginInstance<T>* operator->() const { return instance_.get(); }
  /// Its methods (PluginInstance::checked()).
  Checked<T> checked() const { return instance_->checked(); }

 private:
  friend class ObjectCache<T>;
  struct Idle {
    std::mutex* mutex = nullptr;
    std::vector<std::shared_ptr<const PluginInstance<T>>>* objects = nullptr;
  };
  ObjectLease(std::shared_ptr<const PluginInstance<T>> instance, const Idle* idle)
      : instance_(std::move(instance)), idle_(idle) {}

  // An exclusive object goes back to its pool of idle objects.
  void give_back() noexcept {
    if (idle_ == nullptr || !instance_)
      return;
    const std::lock_guard lock(*idle_->mutex);
    try {
      idle_->objects->push_back(std::move(instance_));
    } catch (...) {  // no memory for one pointer: the object is destroyed instead of reused
    }
  }

  std::shared_ptr<const PluginInstance<T>> instance_;
  const Idle* idle_ = nullptr;  // null for an object of a `shared` plugin
};

/// The objects of one kind of plugin (see the file comment). Thread-safe; a factory is called
/// without holding the lock, so that a factory abandoned by --cell-timeout blocks nobody.
template <class T>
class ObjectCache {
 public:
  explicit ObjectCache(const PluginRegistry& registry) : registry_(registry) {}
  ObjectCache(const ObjectCache&) = delete;
  ObjectCache& operator=(const ObjectCache&) = delete;

  /// Lends the object of `use` (an entry of `section`, e.g. "profiles"), telling `state` when
  /// its factory runs; makes it when no object is free. Throws what make() (cell.hpp) throws,
  /// for the first cell of the use and, the same exception, for every later one.
  ObjectLease<T> lend(const PluginUse& use, const std::string& section, WorkState& state);

  /// Factory calls that made an object so far.
  std::size_t made() const {
    const std::lock_guard lock(mutex_);
    return made_;
  }

 private:
  struct Entry {
    // The object of a `shared` plugin.
    std::shared_ptr<const PluginInstance<T>> shared;
    // The objects of a per_thread or serial plugin that are not lent now.
    std::vector<std::shared_ptr<const PluginInstance<T>>> idle;
    typename ObjectLease<T>::Idle pool;
  };

  const PluginRegistry& registry_;
  mutable std::mutex mutex_;
  // By ObjectKeys::object; entries are never removed (leases point into them).
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  // By ObjectKeys::failure.
  std::map<std::string, std::exception_ptr> failures_;
  std::size_t made_ = 0;
};

template <class T>
ObjectLease<T> ObjectCache<T>::lend(const PluginUse& use, const std::string& section,
                                    WorkState& state) {
  // As make() does, so that messages and timeouts name the same call.
  const auto plugin = registry_.find(use.plugin);
  state.enter(plugin.get(), plugin->who() + ", its factory");
  const PluginSpec spec = spec_of(use, section);
  const ObjectKeys keys = object_keys(*plugin, kind_of<T>(), spec);
  const bool exclusive = plugin->descriptor().thread_safety != ThreadSafety::shared;
  Entry* entry = nullptr;
  {
    const std::lock_guard lock(mutex_);
    if (const auto failed = failures_.find(keys.failure); failed != failures_.end())
      std::rethrow_exception(failed->second);
    if (!keys.object.empty()) {
      auto& slot = entries_[keys.object];
      if (!slot) {
        slot = std::make_unique<Entry>();
        slot->pool = {&mutex_, &slot->idle};
      }
      entry = slot.get();
      if (!exclusive && entry->shared)
        return ObjectLease<T>(entry->shared, nullptr);
      if (exclusive && !entry->idle.empty()) {
        auto instance = std::move(entry->idle.back());
        entry->idle.pop_back();
        return ObjectLease<T>(std::move(instance), &entry->pool);
      }
    }
  }
  std::shared_ptr<const PluginInstance<T>> made;
  try {
    made = std::make_shared<const PluginInstance<T>>(registry_.create<T>(spec));
  } catch (...) {
    const std::lock_guard lock(mutex_);
    failures_.emplace(keys.failure, std::current_exception());
    throw;
  }
  const std::lock_guard lock(mutex_);
  ++made_;
  if (entry == nullptr)  // not reached: create() refuses parameters that fail the schema
    return ObjectLease<T>(std::move(made), nullptr);
  if (exclusive)
    return ObjectLease<T>(std::move(made), &entry->pool);
  // Two threads may have made it at once (a cell abandoned in this factory, and a later one):
  // the first one kept is the one every lease gets.
  if (!entry->shared)
    entry->shared = std::move(made);
  return ObjectLease<T>(entry->shared, nullptr);
}

/// The object caches of a run, one per kind of plugin object.
struct RunObjects {
  explicit RunObjects(const PluginRegistry& registry)
      : profiles(registry), scenarios(registry), aggregators(registry), optimizers(registry) {}

  ObjectCache<ModelProfile> profiles;
  ObjectCache<Scenario> scenarios;
  ObjectCache<Aggregator> aggregators;
  ObjectCache<Optimizer> optimizers;

  /// Factory calls that made an object so far, of every kind.
  std::size_t made() const {
    return profiles.made() + scenarios.made() + aggregators.made() + optimizers.made();
  }
};

}  // namespace kcube
