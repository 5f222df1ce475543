//! `Role`: what a staff account may do. Stored by its slug.
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
}
