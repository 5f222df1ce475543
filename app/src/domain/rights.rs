//! `RightsCategory`: the rights the Villes Lumières network defends, as listed
//! by the City of Brussels. Their names per language live in the database.
use serde::{Deserialize, Serialize};

macro_rules! categories {
    ($($variant:ident => $slug:literal),+ $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub enum RightsCategory { $($variant),+ }

        impl RightsCategory {
            pub const ALL: &'static [RightsCategory] = &[$(RightsCategory::$variant),+];

            pub fn slug(self) -> &'static str {
                match self { $(RightsCategory::$variant => $slug),+ }
            }
        }
    };
}

categories! {
    Security => "security",
    GenderEquality => "gender-equality",
    ConscienceAndReligion => "conscience-and-religion",
    AssemblyAndAssociation => "assembly-and-association",
    TradeUnion => "trade-union",
    Culture => "culture",
    HousingAndDomicile => "housing-and-domicile",
    WaterAndFood => "water-and-food",
    SustainableUrbanDevelopment => "sustainable-urban-development",
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown rights category {0:?}")]
pub struct UnknownRightsCategory(pub String);

impl RightsCategory {
    pub fn parse(input: &str) -> Result<Self, UnknownRightsCategory> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.slug() == input)
            .ok_or_else(|| UnknownRightsCategory(input.to_owned()))
    }
}

impl TryFrom<String> for RightsCategory {
    type Error = UnknownRightsCategory;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RightsCategory> for String {
    fn from(c: RightsCategory) -> Self {
        c.slug().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_defends_nine_rights() {
        assert_eq!(RightsCategory::ALL.len(), 9);
        for &c in RightsCategory::ALL {
            assert_eq!(RightsCategory::parse(c.slug()), Ok(c));
            assert!(crate::domain::Slug::parse(c.slug()).is_ok());
        }
        assert!(RightsCategory::parse("freedom").is_err());
    }
}
