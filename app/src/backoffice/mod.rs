//! Staff at work: accounts, logins and sessions (`session`, `accounts`),
//! passwords chosen through mailed one-time links (`passwords`); the
//! forms staff fill in (`forms`); the administrator's accounts and audit
//! log (`admin`); the cases council members adopt — persons, adoptions and
//! support actions (`cases`, `persons`, `adoptions`, `actions`), their
//! paper signatures (`paper`), delivery (`deliveries`) and the addressee's
//! response (`responses`); the status
//! updates communications staff publish (`updates`) and what waits for
//! translation (`translations`); and the staff pages
//! (`pages`). Who may do what is `domain::Permission`; every server function
//! here asks `session::on_server::require` for it on every call, and every
//! change is audited in its own transaction.
//!
//! May import infrastructure (`server`), `domain`, `error`, `i18n`, the
//! public reads of `api`, `signing`'s export and `pages::errors`. Never
//! `feeds` (which builds on this: its pages use the staff forms and menu).
#[cfg(feature = "ssr")]
pub mod accounts;
pub mod actions;
pub mod admin;
pub mod adoptions;
pub mod cases;
pub mod deliveries;
pub mod forms;
#[cfg(feature = "ssr")]
pub mod municipalities;
pub mod pages;
pub mod paper;
pub mod passwords;
pub mod persons;
pub mod responses;
pub mod session;
pub mod translations;
pub mod updates;

use crate::api::MunicipalityRef;
use crate::domain::Role;
use serde::{Deserialize, Serialize};

/// A logged-in staff member, as pages and server functions see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Council members only.
    pub municipality: Option<MunicipalityRef>,
}

#[cfg(feature = "ssr")]
impl StaffUser {
    /// Who the audit log says made a change.
    pub fn actor(&self) -> crate::server::audit::Actor {
        crate::server::audit::Actor::Staff(self.id)
    }
}
