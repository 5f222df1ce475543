//! The back office's shell: what every staff page stands on. Accounts,
//! logins and sessions (`session`, `accounts`), passwords chosen through
//! mailed one-time links (`passwords`), the forms staff fill in and the
//! flash that brings a refused one back (`forms`), the administrator's
//! accounts and audit log (`admin`), and the pages of all these with the
//! pieces every staff page is built from (`pages`: the gate, the menu, the
//! fields). Who may do what is `domain::Permission`; every server function of
//! the back office asks `session::on_server::require` for it on every call,
//! and every change is audited in its own transaction.
//!
//! What staff work on lives beside this, one folder each: `cases`,
//! `campaigns`, `publishing`, `network`, `feeds`. They build on the shell;
//! the shell imports none of them.
#[cfg(feature = "ssr")]
pub mod accounts;
pub mod admin;
pub mod forms;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod password_links;
pub mod passwords;
pub mod session;

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

    /// Who is acting, as `records::owners` weighs it.
    pub fn acting(&self) -> crate::records::owners::Acting<'_> {
        crate::records::owners::Acting {
            role: self.role,
            municipality: self.municipality.as_ref().map(|m| m.slug.as_str()),
        }
    }
}
