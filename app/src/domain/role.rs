//! `Role`: what a staff account is; `Permission`: what each role may do.
//! The one policy: every staff server function and page asks it, and the
//! authorisation test reads it. Roles are stored by their slug.
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Manages accounts and reads the audit log.
    Admin,
    /// Adopts cases and runs support actions for one municipality.
    Council,
    /// Publishes status updates and reviews partner feeds.
    Comms,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: use admin, council or comms")]
pub struct UnknownRole(pub String);

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Council, Role::Comms];

    pub fn slug(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Council => "council",
            Role::Comms => "comms",
        }
    }

    pub fn parse(input: &str) -> Result<Self, UnknownRole> {
        Self::ALL
            .into_iter()
            .find(|role| role.slug() == input.trim())
            .ok_or_else(|| UnknownRole(input.to_owned()))
    }

    /// Council members act for one municipality; the others for the site.
    pub fn needs_municipality(self) -> bool {
        self == Role::Council
    }
}

/// Something staff do. Each is allowed to the roles `roles` names, and only those.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// List, create, disable and enable accounts, change roles.
    ManageAccounts,
    ReadAuditLog,
    /// See every case, drafts included, with its adoptions, actions and
    /// updates: administrators too, who may take a case down from there.
    ReadCases,
    /// Adopt persons, edit the cases one's municipality adopted, open support
    /// actions for them.
    ManageCases,
    /// Edit, close and reopen a support action: its municipality's council,
    /// or an administrator (each action is also checked for ownership).
    RunActions,
    /// Download an action's confirmed signatures (personal data) for
    /// delivery: the same owners as `RunActions`.
    ExportSignatures,
    /// Open a support action's staff page: its count, what came of it, its
    /// embed code and its translations. What each may change there is
    /// checked there.
    ReadActions,
    /// Record what came of an action: its delivery (which closes it for
    /// good and mails its signers) and the addressee's response. The same
    /// owners as `RunActions`: communications staff speak for the site in
    /// status updates, not for a council's action (issue 28, N3).
    RecordOutcomes,
    /// Approve or refuse a request to adopt a case another municipality holds
    /// or that is not public.
    DecideAdoptions,
    /// Write, publish and unpublish status updates.
    WriteUpdates,
    /// Follow partner feeds and review what they bring.
    ReviewFeeds,
    /// Every staff member changes their own password.
    ChangeOwnPassword,
    /// See the partner feeds followed and their state.
    ReadFeeds,
    /// Let a partner feed publish without review: what a trusted feed
    /// brings goes public in the city's name, so only an administrator.
    TrustFeeds,
    /// Set the languages each municipality requires before publishing.
    ManageMunicipalities,
    /// Undo a delivery recorded by mistake, within days: it takes back
    /// what `RecordOutcomes` made final (the action stays closed until its
    /// council reopens it), so only an administrator.
    UndoDeliveries,
    /// Take a case down when the risk to the person changes suddenly (issue
    /// 29): a council member of a municipality holding the case, or an
    /// administrator (checked against the case there).
    TakeDownCases,
    /// Undo a take-down made by mistake: the person stays private, so only
    /// an administrator.
    UndoTakeDowns,
    /// Record consent and risk, and so the review: the council holding the
    /// case, or an administrator for a case no municipality holds (whose
    /// reviews are mailed to the administrators); checked there.
    RecordConsent,
    /// Read the log of signers' requests for their data (`privacy`): when
    /// each came, when its answer is due, what became of it.
    ReadDataRequests,
}

impl Permission {
    pub const ALL: [Permission; 20] = [
        Permission::ManageAccounts,
        Permission::ReadAuditLog,
        Permission::ReadCases,
        Permission::ManageCases,
        Permission::RunActions,
        Permission::ExportSignatures,
        Permission::ReadActions,
        Permission::RecordOutcomes,
        Permission::DecideAdoptions,
        Permission::WriteUpdates,
        Permission::ReviewFeeds,
        Permission::ChangeOwnPassword,
        Permission::ReadFeeds,
        Permission::TrustFeeds,
        Permission::ManageMunicipalities,
        Permission::UndoDeliveries,
        Permission::TakeDownCases,
        Permission::UndoTakeDowns,
        Permission::RecordConsent,
        Permission::ReadDataRequests,
    ];

    /// Who may do it.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Permission::ManageAccounts
            | Permission::ReadAuditLog
            | Permission::DecideAdoptions
            | Permission::TrustFeeds
            | Permission::ManageMunicipalities
            | Permission::UndoDeliveries
            | Permission::UndoTakeDowns
            | Permission::ReadDataRequests => &[Role::Admin],
            Permission::ManageCases => &[Role::Council],
            Permission::RunActions
            | Permission::ExportSignatures
            | Permission::RecordOutcomes
            | Permission::TakeDownCases
            | Permission::RecordConsent => &[Role::Admin, Role::Council],
            Permission::WriteUpdates | Permission::ReviewFeeds => &[Role::Comms],
            Permission::ChangeOwnPassword | Permission::ReadActions | Permission::ReadCases => {
                &Role::ALL
            }
            Permission::ReadFeeds => &[Role::Admin, Role::Comms],
        }
    }

    pub fn allows(self, role: Role) -> bool {
        self.roles().contains(&role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_slugs() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.slug()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
        assert!(Role::parse("Admin").is_err(), "slugs are lowercase");
    }

    /// The policy, written out: changing who may do what must change this too.
    #[test]
    fn the_policy_is_what_the_network_agreed() {
        use Permission::*;
        let table = [
            (ManageAccounts, "admin"),
            (ReadAuditLog, "admin"),
            (ReadCases, "admin council comms"),
            (ManageCases, "council"),
            (RunActions, "admin council"),
            (ExportSignatures, "admin council"),
            (ReadActions, "admin council comms"),
            (RecordOutcomes, "admin council"),
            (DecideAdoptions, "admin"),
            (WriteUpdates, "comms"),
            (ReviewFeeds, "comms"),
            (ChangeOwnPassword, "admin council comms"),
            (ReadFeeds, "admin comms"),
            (TrustFeeds, "admin"),
            (ManageMunicipalities, "admin"),
            (UndoDeliveries, "admin"),
            (TakeDownCases, "admin council"),
            (UndoTakeDowns, "admin"),
            (RecordConsent, "admin council"),
            (ReadDataRequests, "admin"),
        ];
        assert_eq!(table.len(), Permission::ALL.len());
        for (permission, roles) in table {
            let allowed: Vec<&str> = permission.roles().iter().map(|r| r.slug()).collect();
            assert_eq!(allowed.join(" "), roles, "{permission:?}");
        }
        for role in Role::ALL {
            assert!(
                Permission::ALL.iter().any(|p| p.allows(role)),
                "{role:?} may do something"
            );
        }
    }
}
