//! What the server checks of a request, as the OpenAPI document states it
//! (issue 31): a client generated from the document never sends what the
//! server refuses. Each constraint is read from the definition the server
//! checks with — the languages, the vocabularies, the slug's pattern, the
//! paging's limits — so the two cannot drift apart.
use super::{Paging, HISTORY_PAGING, LIST_PAGING, SEARCH_PAGING};
use crate::domain::{CountryCode, RightsCategory, Slug, Status};
use crate::i18n::Locale;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// What a cursor of the persons list looks like: hex bytes, the name's
/// and the slug's, `01` between them (`persons::is_place` checks it).
pub(crate) const PLACE_PATTERN: &str = "^(?:[0-9a-f]{2})*01(?:[0-9a-f]{2})*$";

/// What a cursor of search hits looks like: a number, read as `usize`.
pub(crate) const SEARCH_CURSOR_PATTERN: &str = "^[0-9]{1,4}$";

fn one_of(values: impl IntoIterator<Item = &'static str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

fn matching(pattern: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
}

fn limit(paging: &Paging) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(paging.max as u64))
        .default(Some(paging.default.into()))
        .build()
}

pub fn lang() -> Object {
    one_of(Locale::ALL.iter().map(|locale| locale.code()))
}

pub fn rights() -> Object {
    one_of(RightsCategory::ALL.iter().map(|category| category.slug()))
}

pub fn status() -> Object {
    one_of(Status::ALL.iter().map(|status| status.slug()))
}

pub fn interval() -> Object {
    one_of(crate::api::actions::Interval::ALL.map(|interval| interval.name()))
}

pub fn slug() -> Object {
    matching(Slug::PATTERN)
        .max_length(Some(Slug::MAX_LEN))
        .build()
}

pub fn country() -> Object {
    matching(CountryCode::PATTERN).build()
}

pub fn person_cursor() -> Object {
    matching(PLACE_PATTERN).build()
}

pub fn list_limit() -> Object {
    limit(&LIST_PAGING)
}

pub fn history_limit() -> Object {
    limit(&HISTORY_PAGING)
}

pub fn search_limit() -> Object {
    limit(&SEARCH_PAGING)
}

/// A place in the hits' order: how many came before.
pub fn search_cursor() -> Object {
    matching(SEARCH_CURSOR_PATTERN).build()
}

/// Every path's `{slug}` is a slug (utoipa takes a path parameter's
/// pattern only as a literal: written once here instead).
pub struct PathSlugs;

impl utoipa::Modify for PathSlugs {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let operations = openapi
            .paths
            .paths
            .values_mut()
            .flat_map(|item| [&mut item.get, &mut item.head, &mut item.post])
            .flatten();
        for operation in operations {
            let slugs = operation
                .parameters
                .iter_mut()
                .flatten()
                .filter(|p| p.name == "slug" && p.parameter_in == ParameterIn::Path);
            for parameter in slugs {
                parameter.schema = Some(slug().into());
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Strings a pattern matches whole (proptest takes no anchors).
    pub(crate) fn matched_by(pattern: &str) -> proptest::string::RegexGeneratorStrategy<String> {
        let whole = pattern.strip_prefix('^').and_then(|p| p.strip_suffix('$'));
        proptest::string::string_regex(whole.expect("an anchored pattern")).unwrap()
    }

    proptest! {
        /// The documented patterns allow nothing the server refuses.
        #[test]
        fn what_a_pattern_allows_is_taken(
            slug in matched_by(Slug::PATTERN),
            country in matched_by(CountryCode::PATTERN),
        ) {
            // The document also says `maxLength`.
            prop_assert!(slug.len() > Slug::MAX_LEN || Slug::parse(&slug).is_ok(), "{slug}");
            prop_assert!(CountryCode::parse(&country).is_ok(), "{country}");
        }
    }

    #[test]
    fn every_value_a_vocabulary_documents_is_parsed() {
        let values = |object: Object| -> Vec<String> {
            object
                .enum_values
                .unwrap_or_default()
                .into_iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        for code in values(lang()) {
            assert!(Locale::from_code(&code).is_some(), "{code}");
        }
        for slug in values(rights()) {
            assert!(RightsCategory::parse(&slug).is_ok(), "{slug}");
        }
        for slug in values(status()) {
            assert!(Status::parse(&slug).is_ok(), "{slug}");
        }
        assert_eq!(values(interval()), ["hour", "day"]);
    }
}
