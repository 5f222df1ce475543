//! Partner feeds, both ways. In: communications staff follow partners' RSS,
//! Atom or JSON feeds (`subscriptions`); a worker beside the web server
//! fetches the due ones, parses, matches and stores their entries (`sync`,
//! read top to bottom); staff review what they bring in the inbox and
//! publish or dismiss it (`inbox`); their pages are in `pages`. Out: our own
//! Atom and JSON Feed of published status events (`outgoing`), so that the
//! network's instances can follow each other.
//!
//! May import infrastructure (`server`), the case records' rules
//! (`records`: the timeline, the translation gate), `domain`, `error`,
//! `i18n`, `text`, the back office's shell (`backoffice`: the staff user
//! and `require`, the staff forms, menu and gate) and `publishing` (the
//! update page's form name). Nothing imports this but the router.
pub mod inbox;
#[cfg(feature = "ssr")]
pub mod outgoing;
pub mod pages;
pub mod subscriptions;
#[cfg(feature = "ssr")]
pub mod sync;
