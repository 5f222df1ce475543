//! The network: the municipalities that belong to it (a city joins from the
//! command line: `municipalities`) and the languages each writes in before
//! a case it adopted is published (`languages`, and its page in `pages`).
pub mod languages;
#[cfg(feature = "ssr")]
pub mod municipalities;
pub mod pages;
