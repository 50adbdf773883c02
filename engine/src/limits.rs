//! The limits every decision runs under, and the store limiter that enforces the memory cap.

use std::time::Duration;

/// Limits on every call into a policy module.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Fuel (roughly, wasm instructions) per call, when metered: a deterministic bound, the same
    /// on every run, at a price — metering made a decision 2.6 times slower here. `None` (the
    /// default) leaves the wall-clock deadline alone to stop a runaway module: a real policy
    /// decides in tens of microseconds, four orders of magnitude inside it.
    pub fuel: Option<u64>,
    /// Wall-clock time per call (epoch interruption); always on.
    pub timeout: Duration,
    /// Linear memory per instance, in bytes.
    pub memory_bytes: usize,
    /// Table elements per table.
    pub table_elements: usize,
    /// Instances alive at once (the pooling allocator's slots).
    pub instances: u32,
    /// Size of a decision, in bytes of its JSON form.
    pub output_bytes: usize,
    /// Native stack the guest may use, in bytes.
    pub stack_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: None,
            timeout: Duration::from_millis(200),
            memory_bytes: 16 << 20,
            table_elements: 10_000,
            instances: 64,
            output_bytes: 256 << 10,
            stack_bytes: 512 << 10,
        }
    }
}

/// Per-store state: the limiter, which records when it refused to grow memory so that the
/// resulting trap is reported as [`Error::MemoryLimit`](crate::Error::MemoryLimit) by type.
pub(crate) struct StoreState {
    pub(crate) memory_bytes: usize,
    pub(crate) table_elements: usize,
    pub(crate) hit_memory_limit: bool,
}

impl wasmtime::ResourceLimiter for StoreState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.memory_bytes;
        self.hit_memory_limit |= !ok;
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.table_elements;
        self.hit_memory_limit |= !ok;
        Ok(ok)
    }

    fn instances(&self) -> usize {
        4
    }

    fn tables(&self) -> usize {
        4
    }

    fn memories(&self) -> usize {
        2
    }
}
