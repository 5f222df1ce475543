//! A person as a card in lists, and their portrait wherever it is shown.
use super::{CardTitle, StatusBadge};
use crate::api::portraits::PortraitView;
use crate::api::PersonSummary;
use crate::i18n::use_locale;
use leptos::prelude::*;

/// `top`: the list is a section of the page itself (`CardTitle`).
#[component]
pub fn PersonCard(person: PersonSummary, #[prop(optional)] top: bool) -> impl IntoView {
    let locale = use_locale();
    let href = locale.path(&format!("/persons/{}", person.slug), false);
    let country = person
        .country
        .as_ref()
        .map(|c| c.name.get(locale).to_owned());
    let rights = person
        .rights
        .iter()
        .map(|r| r.name.get(locale).to_owned())
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <li class="person-card" data-person=person.slug.to_string()>
            {person.portrait.map(|portrait| view! { <Portrait portrait width=64 eager=false /> })}
            <CardTitle top class="person-name">
                <a href=href>{person.full_name}</a>
            </CardTitle>
            <StatusBadge status=person.current_status />
            {country.map(|c| view! { <p class="country">{c}</p> })}
            {(!rights.is_empty()).then(|| view! { <p class="rights">{rights}</p> })}
            {(person.open_actions > 0)
                .then(|| {
                    view! {
                        <p class="open-actions">
                            {locale.counted("person_card.open_actions", person.open_actions)}
                        </p>
                    }
                })}
        </li>
    }
}

/// A portrait `width` CSS pixels wide (4:5), its place kept before it
/// arrives; the browser picks the width its screen needs. Lists load it
/// when it comes into view; a person's page at once.
#[component]
pub fn Portrait(portrait: PortraitView, width: u32, eager: bool) -> impl IntoView {
    let locale = use_locale();
    let (ratio_w, ratio_h) = crate::api::portraits::RATIO;
    view! {
        <img
            class="portrait"
            src=portrait.src().path.clone()
            srcset=portrait.srcset()
            sizes=format!("{width}px")
            width=width
            height=width * ratio_h / ratio_w
            alt=portrait.alt.text.clone()
            lang=portrait.alt.lang_attr(locale)
            loading=if eager { "eager" } else { "lazy" }
            decoding="async"
        />
    }
}
