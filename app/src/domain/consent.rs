//! What a person at risk, or someone for them, agreed to be published, and
//! the risk as staff assess it (issue 29). Both are stored by their slugs.
use serde::{Deserialize, Serialize};

/// A closed set of choices stored by slug, with an interface-string key each.
macro_rules! slug_choice {
    (
        $(#[$doc:meta])*
        $name:ident, $unknown:ident, $label:literal, [$($variant:ident => $slug:literal),+ $(,)?]
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub enum $name {
            $($variant),+
        }

        #[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
        #[error("unknown choice {0:?}")]
        pub struct $unknown(pub String);

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn slug(self) -> &'static str {
                match self {
                    $($name::$variant => $slug),+
                }
            }

            pub fn parse(input: &str) -> Result<Self, $unknown> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|c| c.slug() == input.trim())
                    .ok_or_else(|| $unknown(input.to_owned()))
            }

            /// The interface-string key of how the page says it.
            pub fn label_key(self) -> String {
                format!(concat!($label, "{}"), self.slug())
            }
        }

        impl TryFrom<String> for $name {
            type Error = $unknown;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.slug().to_owned()
            }
        }
    };
}

slug_choice! {
    /// Who agreed to what is published.
    ConsentGiver, UnknownConsentGiver, "consent.given_by_",
    [
        Person => "person",
        Family => "family",
        AmnestySection => "amnesty-section",
        PublicSources => "public-sources",
    ]
}

slug_choice! {
    /// The risk to the person, as staff assess it; a new case may not be assessed yet.
    RiskLevel, UnknownRiskLevel, "consent.risk_",
    [
        Unassessed => "unassessed",
        Low => "low",
        Medium => "medium",
        High => "high",
    ]
}

/// What a consent covers: each kind of fact a public page may show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub name: bool,
    pub portrait: bool,
    pub story: bool,
    /// Where the person is or comes from (their country, places).
    pub location: bool,
}

/// A kind of fact a consent covers, as the form names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Covered {
    Name,
    Portrait,
    Story,
    Location,
}

impl Covered {
    pub const ALL: [Covered; 4] = [
        Covered::Name,
        Covered::Portrait,
        Covered::Story,
        Covered::Location,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Covered::Name => "name",
            Covered::Portrait => "portrait",
            Covered::Story => "story",
            Covered::Location => "location",
        }
    }

    pub fn label_key(self) -> String {
        format!("consent.covers_{}", self.slug())
    }

    /// What a person's public page shows, which consent must cover:
    /// nothing while they are not public; else their name, and each of
    /// `facts` (their story, country, portrait) they have published.
    pub fn shown(is_public: bool, facts: &[(Covered, bool)]) -> Vec<Covered> {
        if !is_public {
            return Vec::new();
        }
        std::iter::once(Covered::Name)
            .chain(facts.iter().filter(|(_, has)| *has).map(|(fact, _)| *fact))
            .collect()
    }
}

impl Coverage {
    pub fn covers(&self, fact: Covered) -> bool {
        match fact {
            Covered::Name => self.name,
            Covered::Portrait => self.portrait,
            Covered::Story => self.story,
            Covered::Location => self.location,
        }
    }

    /// The coverage the form's ticked boxes give; `None`: an unknown box.
    pub fn from_slugs<S: AsRef<str>>(slugs: &[S]) -> Option<Coverage> {
        let mut coverage = Coverage::default();
        for slug in slugs {
            match slug.as_ref().trim() {
                "name" => coverage.name = true,
                "portrait" => coverage.portrait = true,
                "story" => coverage.story = true,
                "location" => coverage.location = true,
                _ => return None,
            }
        }
        Some(coverage)
    }

    /// What a public person shows that this consent does not cover, of
    /// `shown` (a person with no consent on record: `None`, covering nothing).
    pub fn lacking(consent: Option<&Coverage>, shown: &[Covered]) -> Vec<Covered> {
        shown
            .iter()
            .copied()
            .filter(|fact| !consent.is_some_and(|c| c.covers(*fact)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_round_trip_through_their_slugs() {
        for giver in ConsentGiver::ALL {
            assert_eq!(ConsentGiver::parse(giver.slug()), Ok(*giver));
        }
        for risk in RiskLevel::ALL {
            assert_eq!(RiskLevel::parse(risk.slug()), Ok(*risk));
        }
        assert!(ConsentGiver::parse("neighbour").is_err());
        assert_eq!(RiskLevel::High.label_key(), "consent.risk_high");
    }

    #[test]
    fn what_a_page_shows_needs_consent_on_record() {
        let name_only = Coverage::from_slugs(&["name"]).unwrap();
        let shown = [Covered::Name, Covered::Story];
        assert_eq!(
            Coverage::lacking(Some(&name_only), &shown),
            [Covered::Story]
        );
        assert_eq!(Coverage::lacking(None, &shown), shown);
        assert!(Coverage::lacking(Some(&name_only), &[Covered::Name]).is_empty());
        assert_eq!(Coverage::from_slugs(&["name", "address"]), None);
        let published = [(Covered::Story, false), (Covered::Portrait, true)];
        assert_eq!(
            Covered::shown(true, &published),
            [Covered::Name, Covered::Portrait]
        );
        assert!(Covered::shown(false, &published).is_empty());
    }
}
