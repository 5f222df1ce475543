//! Answers that take as long whatever they found (issue 28, N11/N12). "Mail
//! me a password link" and "sign" answer the same words for an address the
//! site knows and one it does not; without this, the time they took told
//! the two apart (a known address writes a link or a signature and its mail,
//! an address that signed already writes nothing). Each such answer goes no
//! sooner than a floor above what the slower path takes, measured over fifty
//! tries each in `server/tests/api/even_answers.rs`. The wait holds no
//! database connection, only the request's own task.
use std::time::Duration;
use tokio::time::Instant;

/// The earliest an answer may go.
#[derive(Debug, Clone, Copy)]
pub struct NoSoonerThan(Instant);

impl NoSoonerThan {
    /// `floor` from now: taken when the request arrives.
    pub fn from_now(floor: Duration) -> Self {
        Self(Instant::now() + floor)
    }

    /// Waits until then (at once if it has passed: an answer already slow
    /// is not made slower).
    pub async fn wait(self) {
        tokio::time::sleep_until(self.0).await;
    }
}
