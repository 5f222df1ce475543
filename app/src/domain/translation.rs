//! Text written per language: a record keeps each such field in the
//! language it was written in (its original) and, beside it, translations
//! into the other languages of the network. What a record still needs before
//! it is published is one rule, the same for every kind of record, for the
//! publication gate, the editors and the translation queue.
use crate::i18n::Locale;
use serde::{Deserialize, Serialize};

/// A person's field written per language.
pub const PERSON_FIELDS: [&str; 1] = ["summary"];

/// A support action's fields written per language.
pub const SUPPORT_ACTION_FIELDS: [&str; 3] = ["title", "body_html", "addressee"];

/// The fields written per language that hold rich text (sanitized HTML)
/// rather than a line.
pub const RICH_FIELDS: [&str; 2] = ["summary", "body_html"];

/// One field of a record in a language other than its original.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translation {
    pub language: Locale,
    /// The record's column: `title`, `body_html`, `summary`, …
    pub field: String,
    pub text: String,
    /// The original changed after this was written.
    pub outdated: bool,
}

/// The fields of one language that publication still waits for: missing, or
/// written before the original last changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingTranslation {
    pub language: Locale,
    /// Database names of the fields (`title`, `body_html`, …).
    pub fields: Vec<String>,
}

/// A record whose text is written per language.
pub trait Translatable {
    /// The fields written per language, as the database and the forms name them.
    fn fields(&self) -> &'static [&'static str];
    fn original_language(&self) -> Locale;
    /// The original text of `field`; `None` when empty.
    fn original(&self, field: &str) -> Option<&str>;
    fn translations(&self) -> &[Translation];

    /// Whether `field` is translated at all (a partner's name is not).
    fn is_translated(&self, _field: &str) -> bool {
        true
    }

    /// `field` in `language`: the original in its own language, else the
    /// translation, if there is one.
    fn text_in(&self, field: &str, language: Locale) -> Option<&str> {
        if language == self.original_language() {
            return self.original(field);
        }
        self.translations()
            .iter()
            .find(|t| t.language == language && t.field == field)
            .map(|t| t.text.as_str())
    }

    /// `field` as public pages show it in `language`: the original in its own
    /// language, else a translation made from the original as it stands
    /// (an outdated one is not shown).
    fn current_text_in(&self, field: &str, language: Locale) -> Option<&str> {
        if language == self.original_language() {
            return self.original(field);
        }
        self.translations()
            .iter()
            .find(|t| t.language == language && t.field == field && !t.outdated)
            .map(|t| t.text.as_str())
    }

    /// Whether a translation into `language` was written before its original last changed.
    fn is_outdated(&self, language: Locale) -> bool {
        self.translations()
            .iter()
            .any(|t| t.language == language && t.outdated)
    }

    /// What `required` languages lack before this record may be published:
    /// each field with an original and no translation made from it as it stands.
    fn missing_translations(&self, required: &[Locale]) -> Vec<MissingTranslation> {
        required
            .iter()
            .filter(|l| **l != self.original_language())
            .filter_map(|&language| {
                let fields: Vec<String> =
                    self.fields()
                        .iter()
                        .filter(|field| self.original(field).is_some() && self.is_translated(field))
                        .filter(|field| {
                            !self.translations().iter().any(|t| {
                                t.language == language && t.field == **field && !t.outdated
                            })
                        })
                        .map(|field| (*field).to_owned())
                        .collect();
                (!fields.is_empty()).then_some(MissingTranslation { language, fields })
            })
            .collect()
    }
}
