//! Interface languages. The page's language comes from the URL prefix
//! (`/fr/…`, `/nl/…`, `/en/…`), then the `lang` cookie, then Accept-Language;
//! English is the fallback. Strings live in `app/locales/*.toml` (rust-i18n);
//! those the signing island changes in the browser in `app/locales/islands/*.toml`,
//! the only ones the browser bundle carries.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    En,
    Fr,
    Nl,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::En, Locale::Fr, Locale::Nl];
    pub const COOKIE: &'static str = "lang";

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
            Locale::Nl => "nl",
        }
    }

    /// The language's own name, as shown in the switcher.
    pub fn endonym(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Fr => "Français",
            Locale::Nl => "Nederlands",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            "nl" => Some(Locale::Nl),
            _ => None,
        }
    }

    /// Splits a language prefix off a path: `/fr/persons` gives `(Some(Fr), "/persons")`.
    pub fn split_path(path: &str) -> (Option<Self>, &str) {
        let rest = path.strip_prefix('/').unwrap_or(path);
        let (first, tail) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        match Self::from_code(first) {
            Some(locale) => (Some(locale), if tail.is_empty() { "/" } else { tail }),
            None => (None, path),
        }
    }

    /// The best supported language in an Accept-Language header, by q-value.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(Self, f32)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(locale) = Self::from_code(primary) {
                if q > 0.0 && best.is_none_or(|(_, bq)| q > bq) {
                    best = Some((locale, q));
                }
            }
        }
        best.map(|(l, _)| l)
    }

    /// Resolves the language of a request: prefix, then cookie, then Accept-Language.
    pub fn negotiate(
        path: &str,
        cookie_header: Option<&str>,
        accept_language: Option<&str>,
    ) -> Self {
        if let (Some(locale), _) = Self::split_path(path) {
            return locale;
        }
        let from_cookie = cookie_header.and_then(|h| {
            h.split(';').find_map(|c| {
                let (name, value) = c.trim().split_once('=')?;
                (name == Self::COOKIE)
                    .then(|| Self::from_code(value.trim()))
                    .flatten()
            })
        });
        from_cookie
            .or_else(|| accept_language.and_then(Self::from_accept_language))
            .unwrap_or_default()
    }

    /// A site path in this language: `/persons` becomes `/fr/persons` in French.
    /// English links carry no prefix unless `explicit` (the switcher needs it, to
    /// override a French cookie).
    pub fn path(self, path: &str, explicit: bool) -> String {
        match (self, explicit) {
            (Locale::En, false) => path.to_owned(),
            _ if path == "/" => format!("/{}", self.code()),
            _ => format!("/{}{}", self.code(), path),
        }
    }

    /// A translated interface string.
    #[cfg(any(feature = "ssr", not(feature = "hydrate")))]
    pub fn t(self, key: &str) -> String {
        rust_i18n::t!(key, locale = self.code()).into_owned()
    }

    /// In the browser the islands' strings are read from their files as
    /// written (English when a language lacks one, the key when none has
    /// it, as rust-i18n does): its backend would build a map with code per
    /// string, most of the islands' wasm after Leptos itself.
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    pub fn t(self, key: &str) -> String {
        island_string(self, key)
            .or_else(|| island_string(Locale::En, key))
            .unwrap_or(key)
            .to_owned()
    }

    /// Text an island renders once and never changes (a label, a heading):
    /// the server's reading of `key`, and in the browser an empty string.
    /// Hydration takes a text or attribute the server rendered as it finds
    /// it (tachys neither compares nor sets it), so the bundle need carry
    /// neither the text nor its translations.
    pub fn t_static(self, key: &str) -> String {
        #[cfg(any(feature = "ssr", not(feature = "hydrate")))]
        return self.t(key);
        #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
        {
            let _ = key;
            String::new()
        }
    }

    /// "12 of 1,000 signatures" in this language.
    pub fn signature_count(self, confirmed: i64, goal: i64) -> String {
        let key = if confirmed == 1 {
            "action.count_one"
        } else {
            "action.count_other"
        };
        self.t(key)
            .replace("%{count}", &self.number(confirmed))
            .replace("%{goal}", &self.number(goal))
    }

    /// "1 person", "12 persons": the string `{key}_one` or `{key}_other`
    /// with the count written as the language writes numbers.
    pub fn counted(self, key: &str, count: usize) -> String {
        let form = if count == 1 { "one" } else { "other" };
        self.t(&format!("{key}_{form}"))
            .replace("%{count}", &self.number(count as i64))
    }

    /// How a count splits once some signatures were collected on paper:
    /// "1,200 online and 300 on paper"; `None` while all are online.
    pub fn count_breakdown(self, online: i64, paper: i64) -> Option<String> {
        (paper > 0).then(|| {
            self.t("action.count_breakdown")
                .replace("%{online}", &self.number(online))
                .replace("%{paper}", &self.number(paper))
        })
    }

    /// Thousands separators as each language writes them: 1,000 / 1 000 / 1.000.
    pub fn number(self, n: i64) -> String {
        let sep = match self {
            Locale::En => ",",
            Locale::Fr => "\u{202f}",
            Locale::Nl => ".",
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(c);
        }
        if n < 0 {
            format!("-{out}")
        } else {
            out
        }
    }

    /// The name of `language` in this one: "French" on an English page.
    pub fn language_name(self, language: Locale) -> String {
        self.t(&format!("language.{}", language.code()))
    }

    /// Every language as (code, name in this one), for a language select.
    pub fn language_choices(self) -> Vec<(String, String)> {
        Locale::ALL
            .into_iter()
            .map(|l| (l.code().to_owned(), self.language_name(l)))
            .collect()
    }

    /// What a page or mail in this language says beside content shown in its
    /// `original` language: "Not yet translated: original in French."
    pub fn untranslated_note(self, original: Locale) -> String {
        self.t("content.untranslated")
            .replace("%{language}", &self.language_name(original))
    }
}

/// A piece of content with the language it is written in: the page's own,
/// or the original that a page shows while no translation exists, marked
/// with its `lang` (WCAG 2.1, 3.1.2 language of parts) and a visible note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LangText {
    pub text: String,
    pub lang: Locale,
}

impl LangText {
    /// The `lang` attribute the text needs on a page in `page`'s language:
    /// only an original in another language gets one.
    pub fn lang_attr(&self, page: Locale) -> Option<&'static str> {
        (self.lang != page).then(|| self.lang.code())
    }
}

/// The page's language, provided once by `App`.
pub fn use_locale() -> Locale {
    use_context::<Locale>().unwrap_or_default()
}

/// `key` (`section.name`) in the islands' strings of `locale`: the files are
/// `[section]` headers and `name = "text"` lines, and the server's tests
/// check that this reads every string as rust-i18n does.
#[cfg(any(test, all(feature = "hydrate", not(feature = "ssr"))))]
fn island_string(locale: Locale, key: &str) -> Option<&'static str> {
    let file = match locale {
        Locale::En => include_str!("../locales/islands/en.toml"),
        Locale::Fr => include_str!("../locales/islands/fr.toml"),
        Locale::Nl => include_str!("../locales/islands/nl.toml"),
    };
    let mut section = "";
    for line in file.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = header;
        } else if let Some((name, text)) = line.split_once('=').filter(|_| !line.starts_with('#')) {
            let wanted = key.strip_prefix(section).and_then(|k| k.strip_prefix('.'));
            if wanted == Some(name.trim()) {
                return text.trim().strip_prefix('"')?.strip_suffix('"');
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_as_each_language_does() {
        assert_eq!(Locale::En.number(1_234_567), "1,234,567");
        assert_eq!(Locale::Fr.number(1000), "1\u{202f}000");
        assert_eq!(Locale::Nl.number(999), "999");
        assert_eq!(Locale::Nl.number(10_000), "10.000");
        assert_eq!(Locale::En.signature_count(1, 1000), "1 of 1,000 signatures");
        assert_eq!(Locale::En.signature_count(0, 1000), "0 of 1,000 signatures");
    }

    #[test]
    fn prefix_beats_cookie_beats_accept_language() {
        assert_eq!(
            Locale::negotiate("/nl/persons", Some("lang=fr"), Some("en")),
            Locale::Nl
        );
        assert_eq!(
            Locale::negotiate("/persons", Some("a=b; lang=fr"), Some("nl")),
            Locale::Fr
        );
        assert_eq!(
            Locale::negotiate("/persons", None, Some("nl-BE,nl;q=0.9,en;q=0.8")),
            Locale::Nl
        );
        assert_eq!(
            Locale::negotiate("/persons", None, Some("de, fr;q=0.5, nl;q=0.7")),
            Locale::Nl
        );
        assert_eq!(
            Locale::negotiate("/persons", Some("lang=xx"), Some("de")),
            Locale::En
        );
        assert_eq!(Locale::negotiate("/", None, None), Locale::En);
    }

    #[test]
    fn split_path_only_takes_known_prefixes() {
        assert_eq!(Locale::split_path("/fr"), (Some(Locale::Fr), "/"));
        assert_eq!(
            Locale::split_path("/fr/persons/x"),
            (Some(Locale::Fr), "/persons/x")
        );
        assert_eq!(Locale::split_path("/persons"), (None, "/persons"));
        assert_eq!(Locale::split_path("/france"), (None, "/france"));
    }

    #[test]
    fn paths_get_the_prefix() {
        assert_eq!(Locale::Fr.path("/", false), "/fr");
        assert_eq!(Locale::Nl.path("/persons", false), "/nl/persons");
        assert_eq!(Locale::En.path("/persons", false), "/persons");
        assert_eq!(Locale::En.path("/persons", true), "/en/persons");
    }

    /// Every key exists in every language: a missing one would show its raw key.
    #[test]
    fn every_locale_has_every_key() {
        fn keys(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
            for (k, v) in table {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match v {
                    toml::Value::Table(t) => keys(&key, t, out),
                    _ => out.push(key),
                }
            }
        }
        let load = |src: &str| {
            let mut out = Vec::new();
            keys("", &src.parse::<toml::Table>().unwrap(), &mut out);
            out.sort();
            out
        };
        // The islands' strings are a file of their own (the browser bundle
        // carries only those): both files, in every language.
        let both = |all: &str, islands: &str| {
            let mut keys = load(all);
            keys.extend(load(islands));
            keys.sort();
            keys
        };
        let en = both(
            include_str!("../locales/en.toml"),
            include_str!("../locales/islands/en.toml"),
        );
        assert!(en.len() > 20);
        assert!(en.iter().any(|k| k == "sign.submit") && en.iter().any(|k| k == "open_data.title"));
        assert_eq!(
            en,
            both(
                include_str!("../locales/fr.toml"),
                include_str!("../locales/islands/fr.toml")
            ),
            "fr differs from en"
        );
        assert_eq!(
            en,
            both(
                include_str!("../locales/nl.toml"),
                include_str!("../locales/islands/nl.toml")
            ),
            "nl differs from en"
        );
        // The browser's reading of the islands' strings is rust-i18n's.
        let islands = load(include_str!("../locales/islands/en.toml"));
        assert!(islands.len() > 10);
        for key in &islands {
            for l in Locale::ALL {
                assert_eq!(
                    island_string(l, key),
                    Some(l.t(key).as_str()),
                    "{key} in {l:?}"
                );
            }
        }
        assert_eq!(island_string(Locale::Fr, "sign.no_such_key"), None);
        for key in &en {
            for l in Locale::ALL {
                let text = l.t(key);
                assert!(
                    text != *key && text != format!("{}.{key}", l.code()),
                    "{key} unresolved in {l:?}"
                );
            }
        }
    }
}
