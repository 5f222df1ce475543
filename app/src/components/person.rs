//! A person as a card in lists.
use super::StatusBadge;
use crate::api::PersonSummary;
use crate::i18n::use_locale;
use leptos::prelude::*;

#[component]
pub fn PersonCard(person: PersonSummary) -> impl IntoView {
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
            <h3>
                <a href=href>{person.full_name}</a>
            </h3>
            <StatusBadge status=person.current_status />
            {country.map(|c| view! { <p class="country">{c}</p> })}
            {(!rights.is_empty()).then(|| view! { <p class="rights">{rights}</p> })}
        </li>
    }
}
