//! The back office's shell: what every staff page stands on. Accounts,
//! logins and sessions (`session`, `accounts`), passwords chosen through
//! mailed one-time links (`passwords`), the forms staff fill in and the
//! flash that brings a refused one back (`forms`), the administrator's
//! accounts and audit log (`admin`), second factors (`two_factor`), and the pages of all these with the
//! pieces every staff page is built from (`pages`: the gate, the menu, the
//! fields). Who may do what is `domain::Permission`; every server function of
//! the back office asks `session::on_server::require` for it on every call,
//! and every change is audited in its own transaction.
//!
//! What staff work on lives beside this, one folder each: `cases`,
//! `campaigns`, `publishing`, `network`, `feeds`. They build on the shell;
//! the shell imports none of them.
/// SQL: whether the account `$user` (a column or a parameter) has a second
/// factor set up, the one definition every query that asks uses.
#[cfg(feature = "ssr")]
macro_rules! second_factor_set {
    ($user:literal) => {
        concat!(
            "(EXISTS (SELECT 1 FROM staff_totp t WHERE t.user_id = ",
            $user,
            " AND t.confirmed_at IS NOT NULL) OR EXISTS (SELECT 1 FROM staff_passkeys p WHERE p.user_id = ",
            $user,
            "))"
        )
    };
}
#[cfg(feature = "ssr")]
pub(crate) use second_factor_set;

#[cfg(feature = "ssr")]
pub mod accounts;
pub mod admin;
pub mod forms;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod password_links;
pub mod passwords;
pub mod session;
pub mod two_factor;

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
    /// Whether logins ask for a code, and whether one must be set up.
    pub second_factor: SecondFactor,
}

/// Where a staff member stands with a second factor (`two_factor`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecondFactor {
    /// An authenticator app or a passkey is set up: every login asks for
    /// one.
    Set,
    /// None, and none is asked of this account.
    #[default]
    Optional,
    /// None, but the account needs one: nothing else opens until it is set up.
    Missing,
}

impl SecondFactor {
    /// Whether `role`, or an administrator's word for this account, asks for
    /// one: administrators and council members export signers and decide
    /// adoptions.
    pub fn required(role: Role, required_of_account: bool) -> bool {
        matches!(role, Role::Admin | Role::Council) || required_of_account
    }

    /// Where an account stands, from what its row says.
    pub fn of(role: Role, required_of_account: bool, set: bool) -> Self {
        match (set, Self::required(role, required_of_account)) {
            (true, _) => SecondFactor::Set,
            (false, true) => SecondFactor::Missing,
            (false, false) => SecondFactor::Optional,
        }
    }
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
