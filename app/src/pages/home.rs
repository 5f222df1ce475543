use super::errors::{InternalError, NotFound};
use crate::api::home::home_data;
use crate::components::{
    action::ActionCardView, person::PersonCard, DateText, StatusBadge, UntranslatedNote,
};
use crate::i18n::use_locale;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

#[component]
pub fn HomePage() -> impl IntoView {
    let locale = use_locale();
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let data = Resource::new(|| (), move |_| home_data(locale));
    view! {
        <Title text="" />
        <Meta name="description" content=locale.t("home.lead") />
        <section class="intro">
            <h1>{locale.t("home.title")}</h1>
            <p class="lead">{locale.t("home.lead")}</p>
        </section>
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <InternalError error /> }.into_any(),
                    Ok(home) => {
                        let open_actions = (!home.open_actions.is_empty())
                            .then(|| {
                                // What a visitor most likely came to do comes first.
                                view! {
                                    <section aria-labelledby="actions-heading">
                                        <h2 id="actions-heading">
                                            {locale.t("home.actions_heading")}
                                        </h2>
                                        <ul class="action-cards">
                                            {home
                                                .open_actions
                                                .into_iter()
                                                .map(|card| view! { <ActionCardView card /> })
                                                .collect_view()}
                                        </ul>
                                        <p>
                                            <a href=locale
                                                .path("/actions", false)>{locale.t("home.all_actions")}</a>
                                        </p>
                                    </section>
                                }
                            });
                        view! {
                            {open_actions}
                            <section aria-labelledby="persons-heading">
                                <h2 id="persons-heading">{locale.t("home.persons_heading")}</h2>
                                <ul class="person-cards">
                                    {home
                                        .persons
                                        .into_iter()
                                        .map(|person| view! { <PersonCard person /> })
                                        .collect_view()}
                                </ul>
                                <p>
                                    <a href=locale
                                        .path("/persons", false)>{locale.t("home.all_persons")}</a>
                                </p>
                            </section>
                            <section aria-labelledby="latest-heading">
                                <h2 id="latest-heading">{locale.t("home.latest_heading")}</h2>
                                <ol class="latest-events">
                                    {home
                                        .latest_events
                                        .into_iter()
                                        .map(|event| {
                                            let href = locale
                                                .path(&format!("/persons/{}", event.person_slug), false);
                                            view! {
                                                <li>
                                                    <DateText date=event.occurred_on />
                                                    " · "
                                                    <a href=href>{event.person_name}</a>
                                                    ": "
                                                    <span lang=event
                                                        .title
                                                        .lang_attr(locale)>{event.title.text.clone()}</span>
                                                    " "
                                                    {event
                                                        .status
                                                        .map(|status| {
                                                            view! { <StatusBadge status=Some(status) /> }
                                                        })}
                                                    <UntranslatedNote texts=vec![Some(event.title)] />
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ol>
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
    .into_any()
}
