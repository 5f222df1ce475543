//! The case records' rules that several features share: the timeline of
//! status events (its order, a person's current status, the one insert,
//! publication and the mails it sends), the translation gate (which
//! languages a record needs before it is published, and what it lacks), the
//! counts of a support action (confirmed online, on paper, delivered), and
//! who may act on a person or a support action (`owners`), and whether a
//! case was taken down (`takedown`).
//!
//! Compiled only with `ssr`. Between the features and the infrastructure:
//! may import `server`, `domain`, `error`, `i18n` and `text`; never a feature.
pub mod counts;
pub mod owners;
pub mod takedown;
pub mod timeline;
pub mod translations;
