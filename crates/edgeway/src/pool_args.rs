//! `edgeway up`'s instance-pool flags: how many instances may live at once, how many
//! unused slots stay warm, and when an idle host gives its memory back.
use std::process::Command;
use std::time::Duration;

use clap::Args;
use edgeway_host::PoolConfig;

/// Spin's variable for the pool's size; `--max-instances` reads it, and passes its value to
/// `spin up` the same way.
const SPIN_MAX_INSTANCE_COUNT: &str = "SPIN_MAX_INSTANCE_COUNT";

/// The flags, for `#[command(flatten)]`.
#[derive(Args)]
pub struct PoolArgs {
    /// Instances alive at once, which is requests in flight (Spin's
    /// `SPIN_MAX_INSTANCE_COUNT`, passed on to `spin up`). A request takes one memory per
    /// handler of the app from a pool of this many; on the local host one that does not
    /// fit waits for room until its timeout (Spin answers it with a 500).
    #[arg(
        long,
        value_name = "N",
        env = SPIN_MAX_INSTANCE_COUNT,
        default_value_t = 1_000,
        value_parser = clap::value_parser!(u32).range(1..=10_000)
    )]
    max_instances: u32,
    /// Local host: unused memory slots the pool keeps warm for the next request, each
    /// holding up to 2 MiB resident; fewer use less memory under varying load.
    #[arg(long, value_name = "N", default_value_t = 100)]
    warm_slots: u32,
    /// Local host: after this many seconds without a request, move the app onto a fresh
    /// instance pool and give the old one's memory back to the system (0: never).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(0..=86_400)
    )]
    release_after_idle: u64,
}

impl PoolArgs {
    /// The local host's pool settings.
    pub fn host_config(&self) -> PoolConfig {
        PoolConfig {
            max_instances: self.max_instances,
            warm_slots: self.warm_slots,
            release_after_idle: (self.release_after_idle > 0)
                .then(|| Duration::from_secs(self.release_after_idle)),
        }
    }

    /// Gives `spin up` the same pool size.
    pub fn pass_to_spin(&self, command: &mut Command) {
        command.env(SPIN_MAX_INSTANCE_COUNT, self.max_instances.to_string());
    }
}
