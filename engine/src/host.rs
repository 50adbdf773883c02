//! The sandboxed host: one wasmtime `Engine` for the process, one compiled `InstancePre` per
//! policy version, and a fresh `Store` and instance for every decision.

use crate::cache::{CacheKey, DiskCache};
use crate::canonical::{canonical_facts, decision_json, sha256_hex};
use crate::contract::{Checked, Contract};
use crate::limits::{Limits, StoreState};
use crate::{Error, Evaluated, Provenance};
use oip_types::{Decision, Facts, PolicyManifest, WIT_VERSION};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use wasmtime::component::{Component, ComponentExportIndex, Instance, InstancePre, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

/// How often the epoch advances; the timeout is counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The WIT interface; components must export `oip:policy/policy@1.0.x` or `@1.1.x`.
const POLICY_INTERFACE: &str = "oip:policy/policy@";

/// How the host is set up.
#[derive(Clone, Debug, Default)]
pub struct HostConfig {
    /// Limits on every decision.
    pub limits: Limits,
    /// Where compiled code is cached, keyed by module digest and engine compatibility; `None`
    /// compiles on every load.
    pub cache_dir: Option<PathBuf>,
    /// The key that authenticates cache entries; required with [`HostConfig::cache_dir`].
    pub cache_key: Option<CacheKey>,
}

/// How a load went.
#[derive(Clone, Copy, Debug)]
pub struct LoadStats {
    /// Whether the compiled code came from the disk cache.
    pub from_cache: bool,
    /// Time to compile or deserialize.
    pub compile: Duration,
}

/// A policy module, checked, compiled and ready to instantiate.
pub struct LoadedPolicy {
    sha256: String,
    manifest: PolicyManifest,
    component: Arc<[u8]>,
    pre: InstancePre<StoreState>,
    /// The contract version the module exports.
    contract: Contract,
    /// `decide` within the policy interface, resolved once at load.
    decide: ComponentExportIndex,
    label: String,
    stats: LoadStats,
}

impl std::fmt::Debug for LoadedPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

impl LoadedPolicy {
    /// SHA-256 of the component bytes, in hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// What the module says about itself.
    pub fn manifest(&self) -> &PolicyManifest {
        &self.manifest
    }

    /// The component bytes (after componentizing a core module): what is stored and replayed.
    pub fn component_bytes(&self) -> &Arc<[u8]> {
        &self.component
    }

    /// How the load went.
    pub fn stats(&self) -> LoadStats {
        self.stats
    }

    /// `policy-id version (sha256 prefix)`, for errors and logs.
    pub fn label(&self) -> &str {
        &self.label
    }
}

struct Ticker {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The process-wide policy host.
pub struct PolicyHost {
    engine: Engine,
    linker: Linker<StoreState>,
    limits: Limits,
    cache: Option<DiskCache>,
    _ticker: Ticker,
}

impl std::fmt::Debug for PolicyHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyHost")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

impl PolicyHost {
    /// Sets up the engine: pooling allocator, epoch interruption (and fuel when the limits
    /// meter it), NaN
    /// canonicalisation, no relaxed SIMD, no component-model concurrency. Threads are not
    /// compiled into this build of wasmtime at all (its `threads` feature is off).
    pub fn new(config: HostConfig) -> Result<PolicyHost, Error> {
        let limits = config.limits;
        // A slot holds twice the memory limit, so that the limiter, not the pool, refuses growth.
        let slot_bytes = limits.memory_bytes.saturating_mul(2);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(limits.instances)
            .total_core_instances(limits.instances.saturating_mul(4))
            .total_memories(limits.instances.saturating_mul(2))
            .total_tables(limits.instances.saturating_mul(4))
            .max_core_instances_per_component(8)
            .max_memories_per_component(2)
            .max_tables_per_component(4)
            .max_memory_size(slot_bytes)
            .table_elements(limits.table_elements.saturating_mul(2))
            .linear_memory_keep_resident(1 << 20)
            .table_keep_resident(64 << 10)
            // Reset only the pages a decision wrote (Linux 6.7+; a plain memset of the kept
            // region elsewhere): a fresh decision went from 38 to 34 us with it alone.
            .pagemap_scan(wasmtime::Enabled::Auto);
        let mut cfg = Config::new();
        cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            // Explicit bounds checks instead of guard pages: growing a policy's memory and
            // resetting it for the next instance then costs no mprotect (two per decision
            // before, each a TLB shootdown across cores). Guest code is about 10 % slower; a
            // fresh decision is about a quarter faster (engine/benches/decide.rs).
            .signals_based_traps(false)
            .memory_guard_size(0)
            .memory_reservation(slot_bytes as u64)
            .consume_fuel(limits.fuel.is_some())
            .epoch_interruption(true)
            .cranelift_nan_canonicalization(true)
            .relaxed_simd_deterministic(true)
            .wasm_relaxed_simd(false)
            .concurrency_support(false)
            .max_wasm_stack(limits.stack_bytes);
        let engine = Engine::new(&cfg).map_err(internal)?;
        let linker = Linker::new(&engine);
        let stop = Arc::new(AtomicBool::new(false));
        let ticker_engine = engine.clone();
        let ticker_stop = stop.clone();
        let handle = std::thread::Builder::new()
            .name("oip-epoch".into())
            .spawn(move || {
                while !ticker_stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticker_engine.increment_epoch();
                }
            })
            .map_err(internal)?;
        let cache = match (config.cache_dir, config.cache_key) {
            (Some(dir), Some(key)) => Some(DiskCache::open(dir, key, &engine)?),
            (Some(_), None) => {
                return Err(Error::Internal(
                    "a compiled-code cache needs a key to authenticate its entries".into(),
                ));
            }
            (None, _) => None,
        };
        Ok(PolicyHost {
            engine,
            linker,
            limits,
            cache,
            _ticker: Ticker {
                stop,
                handle: Some(handle),
            },
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Checks and compiles a policy module: a component, or a core module carrying wit-bindgen
    /// metadata (componentized here). Refuses any import and any WIT version but 1.0.x and 1.1.x, then
    /// reads the manifest in a fresh instance.
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<LoadedPolicy>, Error> {
        let component_bytes: Vec<u8> = if wasmparser::Parser::is_component(bytes) {
            bytes.to_vec()
        } else if wasmparser::Parser::is_core_wasm(bytes) {
            componentize(bytes)?
        } else {
            return Err(Error::Invalid {
                reason: "neither a component nor a core module".into(),
            });
        };
        let sha256 = sha256_hex(&component_bytes);
        let started = Instant::now();
        let (component, from_cache) = match &self.cache {
            Some(cache) => cache.load_or_compile(&self.engine, &sha256, &component_bytes)?,
            None => (compile(&self.engine, &component_bytes)?, false),
        };
        let stats = LoadStats {
            from_cache,
            compile: started.elapsed(),
        };
        let (interface, contract) = check_interface(&self.engine, &component)?;
        let export = |name: &str| {
            component
                .get_export_index(None, &interface)
                .and_then(|i| component.get_export_index(Some(&i), name))
                .ok_or_else(|| Error::Invalid {
                    reason: format!("{interface} exports no {name}"),
                })
        };
        let (decide, manifest_export) = (export("decide")?, export("manifest")?);
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| Error::Invalid {
                reason: format!("{e:#}"),
            })?;
        let mut policy = LoadedPolicy {
            label: format!("module {}", &sha256[..12]),
            sha256,
            manifest: empty_manifest(),
            component: component_bytes.into(),
            pre,
            contract,
            decide,
            stats,
        };
        // One instance at load: `manifest` and the very `decide` export every decision will
        // call are typechecked by their index against the contract's types (every decision
        // relies on that, see `decide`); then it reads the manifest.
        let manifest: PolicyManifest = {
            let (mut store, instance) = self.fresh_instance(&policy)?;
            contract
                .check_and_read_manifest(&mut store, &instance, &manifest_export, &policy.decide)
                .map_err(|e| match e {
                    Checked::WrongType(name, e) => Error::Invalid {
                        reason: format!("{interface}: {name} has the wrong type: {e:#}"),
                    },
                    Checked::Failed(e) => classify(e, &policy, &store, &self.limits),
                })?
        };
        if !wit_version_supported(&manifest.wit_version) {
            return Err(Error::Incompatible {
                expected: WIT_VERSION.into(),
                found: manifest.wit_version.clone(),
            });
        }
        policy.label = format!(
            "{} {} ({})",
            manifest.policy_id,
            manifest.version,
            &policy.sha256[..12]
        );
        policy.manifest = manifest;
        Ok(Arc::new(policy))
    }

    /// Decides `facts` with `policy` in a fresh instance, under the limits. The facts are
    /// canonicalised first; the provenance names the module and the facts' hash.
    pub fn decide(&self, policy: &LoadedPolicy, facts: &Facts) -> Result<Evaluated, Error> {
        let (facts, canonical) = canonical_facts(facts);
        let started = Instant::now();
        let span = tracing::info_span!(
            "engine.decide",
            region = %policy.manifest.region,
            version = %policy.manifest.version,
            digest = %&policy.sha256[..12],
            duration_us = tracing::field::Empty,
        );
        let _enter = span.enter();
        let (mut store, instance) = self.fresh_instance(policy)?;
        let Some(func) = instance.get_func(&mut store, &policy.decide) else {
            return Err(Error::Internal(format!(
                "{}: decide not found",
                policy.label
            )));
        };
        let result = policy
            .contract
            .decide(&mut store, func, facts)
            .map_err(|e| classify(e, policy, &store, &self.limits))?;
        drop(store);
        span.record("duration_us", started.elapsed().as_micros() as u64);
        let decision: Decision = match result {
            Ok(d) => d,
            Err(error) => {
                return Err(Error::Guest {
                    policy: policy.label.clone(),
                    error,
                });
            }
        };
        let json = decision_json(&decision);
        let size = json.len();
        if size > self.limits.output_bytes {
            return Err(Error::OutputTooLarge {
                policy: policy.label.clone(),
                limit: self.limits.output_bytes,
                size,
            });
        }
        Ok(Evaluated {
            decision,
            provenance: provenance(policy, &canonical),
            decision_json: json,
        })
    }

    /// An instance kept across calls, for the benchmark's comparison only: production
    /// decisions always use [`decide`](Self::decide), because a reused instance carries state
    /// from one claim to the next.
    pub fn reused_instance<'a>(
        &'a self,
        policy: &'a LoadedPolicy,
    ) -> Result<ReusedInstance<'a>, Error> {
        let (store, instance) = self.fresh_instance(policy)?;
        Ok(ReusedInstance {
            host: self,
            policy,
            store,
            instance,
        })
    }

    fn store(&self) -> Store<StoreState> {
        let mut store = Store::new(
            &self.engine,
            StoreState {
                memory_bytes: self.limits.memory_bytes,
                table_elements: self.limits.table_elements,
                hit_memory_limit: false,
            },
        );
        store.limiter(|s| s);
        self.refuel(&mut store);
        store
    }

    fn refuel(&self, store: &mut Store<StoreState>) {
        if let Some(fuel) = self.limits.fuel {
            // set_fuel fails only when fuel is disabled in the config, which it is not then.
            let _ = store.set_fuel(fuel);
        }
        // The next tick may come at any moment, so one more tick than the division guarantees
        // the call at least its full time (and at most one tick more).
        let ticks = self
            .limits
            .timeout
            .as_nanos()
            .div_ceil(EPOCH_TICK.as_nanos())
            + 1;
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
        store.epoch_deadline_trap();
    }

    /// A fresh store and a bare instance of `policy` (no per-instance typecheck of the exports).
    fn fresh_instance(
        &self,
        policy: &LoadedPolicy,
    ) -> Result<(Store<StoreState>, Instance), Error> {
        let mut store = self.store();
        let instance = policy
            .pre
            .instantiate(&mut store)
            .map_err(|e| classify(e, policy, &store, &self.limits))?;
        Ok((store, instance))
    }
}

/// An instance reused across calls (benchmarks only).
pub struct ReusedInstance<'a> {
    host: &'a PolicyHost,
    policy: &'a LoadedPolicy,
    store: Store<StoreState>,
    instance: Instance,
}

impl ReusedInstance<'_> {
    /// Decides in the kept instance, refuelled.
    pub fn decide(&mut self, facts: &Facts) -> Result<Decision, Error> {
        self.host.refuel(&mut self.store);
        let policy = self.policy;
        let limits = &self.host.limits;
        let func = self
            .instance
            .get_func(&mut self.store, &policy.decide)
            .ok_or_else(|| Error::Internal(format!("{}: decide not found", policy.label)))?;
        let r = policy
            .contract
            .decide(&mut self.store, func, facts.clone())
            .map_err(|e| classify(e, policy, &self.store, limits))?;
        r.map_err(|error| Error::Guest {
            policy: policy.label.clone(),
            error,
        })
    }
}

fn provenance(policy: &LoadedPolicy, canonical_facts: &[u8]) -> Provenance {
    Provenance {
        policy_id: policy.manifest.policy_id.clone(),
        region: policy.manifest.region.clone(),
        version: policy.manifest.version.clone(),
        sha256: policy.sha256.clone(),
        wit_version: policy.manifest.wit_version.clone(),
        facts_sha256: sha256_hex(canonical_facts),
    }
}

/// Tells a runtime failure apart by type: the limiter's record, then wasmtime's trap code.
fn classify(
    e: wasmtime::Error,
    policy: &LoadedPolicy,
    store: &Store<StoreState>,
    limits: &Limits,
) -> Error {
    let label = policy.label.clone();
    if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .is_some()
    {
        return Error::Busy {
            limit: limits.instances,
        };
    }
    if store.data().hit_memory_limit {
        return Error::MemoryLimit {
            policy: label,
            limit: limits.memory_bytes,
        };
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Error::OutOfFuel {
            policy: label,
            limit: limits.fuel.unwrap_or_default(),
        },
        Some(Trap::Interrupt) => Error::Timeout {
            policy: label,
            limit: limits.timeout,
        },
        Some(Trap::StackOverflow) => Error::StackOverflow { policy: label },
        Some(trap) => Error::Trap {
            policy: label,
            message: trap.to_string(),
        },
        None => Error::Trap {
            policy: label,
            message: format!("{e:#}"),
        },
    }
}

fn componentize(core: &[u8]) -> Result<Vec<u8>, Error> {
    // Validate first: wit-component assumes well-formed input (a truncated module made it
    // panic), and this is bytes from outside.
    wasmparser::Validator::new()
        .validate_all(core)
        .map_err(|e| Error::Invalid {
            reason: format!("invalid core module: {e}"),
        })?;
    let encode = || {
        wit_component::ComponentEncoder::default()
            .validate(true)
            .module(core)
            .and_then(|mut enc| enc.encode())
    };
    match std::panic::catch_unwind(encode) {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => Err(Error::Invalid {
            reason: format!("cannot make a component of this core module: {e:#}"),
        }),
        Err(_) => Err(Error::Invalid {
            reason: "cannot make a component of this core module".into(),
        }),
    }
}

pub(crate) fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component, Error> {
    Component::new(engine, bytes).map_err(|e| Error::Invalid {
        reason: format!("{e:#}"),
    })
}

fn wit_version_supported(version: &str) -> bool {
    Contract::of_version(version).is_some()
}

/// Imports nothing; exports `oip:policy/policy@1.0.x` or `@1.1.x`, once.
/// Returns the interface's full export name and its contract.
fn check_interface(engine: &Engine, component: &Component) -> Result<(String, Contract), Error> {
    let ty = component.component_type();
    if let Some((name, _)) = ty.imports(engine).next() {
        return Err(Error::ForbiddenImport {
            name: name.to_string(),
        });
    }
    let found: Vec<String> = ty
        .exports(engine)
        .filter_map(|(name, _)| name.strip_prefix(POLICY_INTERFACE).map(str::to_string))
        .collect();
    if found.len() > 1 {
        // One export is typechecked and called: a second one, of any version, is refused, so
        // that what is checked is what is called.
        return Err(Error::Invalid {
            reason: format!(
                "the module exports {POLICY_INTERFACE} {} times ({}); a policy exports it once",
                found.len(),
                found.join(", ")
            ),
        });
    }
    match found.first().map(|v| (v, Contract::of_version(v))) {
        Some((v, Some(contract))) => Ok((format!("{POLICY_INTERFACE}{v}"), contract)),
        _ => Err(Error::Incompatible {
            expected: WIT_VERSION.into(),
            found: found.first().cloned().unwrap_or_else(|| "none".into()),
        }),
    }
}

fn empty_manifest() -> PolicyManifest {
    PolicyManifest {
        policy_id: String::new(),
        region: String::new(),
        version: String::new(),
        wit_version: String::new(),
        name: oip_types::Text::new("", ""),
        effective_from: oip_types::Date {
            year: 1970,
            month: 1,
            day: 1,
        },
        effective_to: None,
        parameters: Vec::new(),
        citations: Vec::new(),
    }
}
