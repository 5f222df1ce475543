//! A support action as a card in lists (the home page, `/actions`): what it
//! asks, for whom, how far its count has come, how long it stays open, and
//! the way to sign it.
use super::{CardTitle, DateText, UntranslatedNote};
use crate::api::actions::ActionCard;
use crate::domain::Availability;
use crate::i18n::{use_locale, Locale};
use leptos::prelude::*;

/// `top`: the list is a section of the page itself (`CardTitle`).
#[component]
pub fn ActionCardView(card: ActionCard, #[prop(optional)] top: bool) -> impl IntoView {
    let locale = use_locale();
    let href = locale.path(&format!("/actions/{}", card.slug), false);
    let person_href = locale.path(&format!("/persons/{}", card.person_slug), false);
    let goal = card.goal.max(1);
    let when = match card.availability {
        Availability::Open => Some(view! { {days_left(locale, card.days_left)} }.into_any()),
        Availability::NotYetOpen => Some(
            view! {
                {locale.t("actions.opens_on")}
                " "
                <DateText date=card.opens_on />
            }
            .into_any(),
        ),
        _ => None,
    };
    let open = card.availability == Availability::Open;
    let (verb, target) = if open {
        (locale.t("actions.sign"), format!("{href}#sign"))
    } else {
        (locale.t("actions.read"), href.clone())
    };
    // A list holds several "Sign" links: each names its action, starting
    // with the word it shows (what speech control users say).
    let link_name = format!("{verb}: {}", card.title.text);
    let (title, title_lang) = (card.title.text.clone(), card.title.lang_attr(locale));
    view! {
        <li class="action-card" data-action=card.slug.to_string()>
            <CardTitle top class="action-title">
                <a href=href lang=title_lang>
                    {title}
                </a>
            </CardTitle>
            <p class="for-person">
                {locale.t("actions.for")} " " <a href=person_href>{card.person_name}</a>
            </p>
            <progress
                max=goal
                value=card.counted.min(goal)
                aria-label=locale.signature_count(card.counted, card.goal)
            ></progress>
            <p class="count">{locale.signature_count(card.counted, card.goal)}</p>
            <p class="state">
                {locale.t(card.availability.key())}
                {when
                    .map(|when| {
                        view! {
                            " · "
                            {when}
                        }
                    })}
            </p>
            <UntranslatedNote texts=vec![Some(card.title)] />
            <a
                class=if open { "button sign-link" } else { "read-link" }
                href=target
                aria-label=link_name
            >
                {verb}
            </a>
        </li>
    }
}

/// "Last day to sign", "Closes tomorrow", "12 days left", or no deadline.
fn days_left(locale: Locale, days: Option<i64>) -> String {
    match days {
        None => locale.t("actions.no_deadline"),
        Some(0) => locale.t("actions.last_day"),
        Some(1) => locale.t("actions.one_day_left"),
        Some(days) => locale
            .t("actions.days_left")
            .replace("%{days}", &locale.number(days)),
    }
}
