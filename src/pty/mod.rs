//! The pseudo-terminal layer: a program under a PTY, and the teardown of everything it started.

mod account;
mod burst;
mod process;
mod session;
mod spawn;
mod sys;

pub use account::Account;
pub use burst::Burst;
pub use process::{SESSION_ENV, become_subreaper};
pub use session::{PtyError, Session, SpawnOptions, default_command};
