//! The filter form of the persons list. Without JavaScript it is a plain GET
//! form. As an island it leaves empty filters out of the address, so the links
//! people share stay short. It does not navigate on every change: moving
//! through a select with the keyboard must not reload the page (WCAG 3.2.2).
use crate::api::persons::{FilterChoices, PersonFilter};
use crate::i18n::Locale;
use leptos::prelude::*;

#[island]
pub fn PersonFilterForm(
    locale: Locale,
    action: String,
    choices: FilterChoices,
    selected: PersonFilter,
) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let rights = RwSignal::new(
        selected
            .rights
            .map(|r| r.slug().to_owned())
            .unwrap_or_default(),
    );
    let status = RwSignal::new(
        selected
            .status
            .map(|s| s.slug().to_owned())
            .unwrap_or_default(),
    );
    let country = RwSignal::new(
        selected
            .country
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
    );
    let municipality = RwSignal::new(
        selected
            .municipality
            .as_ref()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
    );

    let target = action.clone();
    let apply = move || {
        let query = [
            ("rights", rights),
            ("status", status),
            ("country", country),
            ("municipality", municipality),
        ]
        .into_iter()
        .filter_map(|(name, value)| {
            let value = value.get_untracked();
            (!value.is_empty()).then(|| format!("{name}={value}"))
        })
        .collect::<Vec<_>>()
        .join("&");
        let url = if query.is_empty() {
            target.clone()
        } else {
            format!("{target}?{query}")
        };
        let _ = window().location().set_href(&url);
    };
    let on_change = move |signal: RwSignal<String>| move |ev| signal.set(event_target_value(&ev));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        apply();
    };

    let any = locale.t("filters.any");
    let option = move |value: String, label: String, current: RwSignal<String>| {
        let selected = current.get_untracked() == value;
        view! { <option value=value selected=selected>{label}</option> }
    };

    view! {
        <form class="filters" method="get" action=action on:submit=on_submit data-hydrated=move || hydrated.get().to_string()>
            <label>
                <span>{locale.t("filters.rights")}</span>
                <select name="rights" on:change=on_change(rights)>
                    <option value="">{any.clone()}</option>
                    {choices.categories.iter().map(|c| option(c.category.slug().to_owned(), c.name.get(locale).to_owned(), rights)).collect_view()}
                </select>
            </label>
            <label>
                <span>{locale.t("filters.status")}</span>
                <select name="status" on:change=on_change(status)>
                    <option value="">{any.clone()}</option>
                    {choices.statuses.iter().map(|s| option(s.slug().to_owned(), locale.t(&s.label_key()), status)).collect_view()}
                </select>
            </label>
            <label>
                <span>{locale.t("filters.country")}</span>
                <select name="country" on:change=on_change(country)>
                    <option value="">{any.clone()}</option>
                    {choices.countries.iter().map(|c| option(c.code.as_str().to_owned(), c.name.get(locale).to_owned(), country)).collect_view()}
                </select>
            </label>
            <label>
                <span>{locale.t("filters.municipality")}</span>
                <select name="municipality" on:change=on_change(municipality)>
                    <option value="">{any}</option>
                    {choices.municipalities.iter().map(|m| option(m.slug.as_str().to_owned(), m.name.text.clone(), municipality)).collect_view()}
                </select>
            </label>
            <button type="submit">{locale.t("filters.apply")}</button>
        </form>
    }
}
