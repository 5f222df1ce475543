//! Publishing: the status updates communications staff write and publish
//! (`updates`), and the translation queue with its translation page
//! (`translations`); their pages (`pages`). The timeline and the
//! translation gate they write through are `records`'.
pub mod pages;
pub mod translations;
pub mod updates;
