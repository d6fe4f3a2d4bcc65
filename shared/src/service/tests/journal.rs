//! The journal (`JournalService`) on fakes, as the crisis screen sees it: a
//! flagged entry is stored with its flag and publishes `CrisisFlagged`, and
//! a prompt over a window that shows crisis is the gentle one, with the
//! person's resources and no model call.

use super::{World, user};
use crate::domain::checkin::Settings;
use crate::domain::events::DomainEvent;
use crate::domain::ids::UserId;
use crate::domain::jobs::Job;
use crate::domain::journal::GENTLE_PROMPT;
use crate::domain::page::PageRequest;
use crate::domain::safety::flag::{CrisisReason, Flag, FlagSource};
use crate::domain::safety::{self, CrisisCategory};
use crate::ports::{ConversationStore, JournalStore, SettingsStore};
use crate::service::crisis::CrisisCare;
use crate::service::journal::JournalService;

const CRISIS: &str = "I want to kill myself";

fn journal(w: &World) -> JournalService {
    JournalService {
        conversations: w.fakes.store.clone(),
        journal: w.fakes.store.clone(),
        queue: w.fakes.queue.clone(),
        models: w.roles(),
        retriever: w.retriever.clone(),
        clock: w.fakes.clock.clone(),
        care: CrisisCare {
            settings: w.fakes.store.clone(),
            events: w.fakes.events.clone(),
            reports: w.fakes.store.clone(),
            default_locale: "en-US".into(),
        },
        risk: None,
    }
}

async fn set_locale(w: &World, u: &UserId, locale: &str) {
    let settings = Settings {
        locale: locale.into(),
        ..Settings::defaults("en-US")
    };
    w.fakes.store.put_settings(u, &settings).await.unwrap();
}

#[tokio::test]
async fn a_flagged_entry_is_stored_with_its_flag_and_publishes_crisis_flagged() {
    let w = World::new();
    let u = user("ana");
    set_locale(&w, &u, "en-GB").await;
    let written = journal(&w).add_entry(&u, CRISIS).await.unwrap();

    let rule = safety::screen(CRISIS).unwrap().rule;
    let flag = Flag {
        category: CrisisCategory::Suicidal,
        reason: CrisisReason::Rules { rule: rule.into() },
    };
    let stored = w
        .fakes
        .store
        .get_journal(&u, &written.item.id)
        .await
        .unwrap()
        .expect("the entry is stored");
    assert_eq!(stored.flag, Some(flag), "stored with its flag");
    let listed = w
        .fakes
        .store
        .list_crisis_flags(&u, &PageRequest::first(5))
        .await
        .unwrap()
        .items;
    assert_eq!(listed.len(), 1, "and in the flag list, for the check-in");
    assert_eq!(listed[0].message_id.as_str(), written.item.id);
    assert_eq!(stored.text, CRISIS);
    let notice = written.crisis.expect("the 201 carries the resources");
    assert_eq!(
        (notice.category, notice.locale()),
        (CrisisCategory::Suicidal, "en-GB")
    );
    assert_eq!(
        w.fakes.events.published(),
        vec![DomainEvent::CrisisFlagged {
            user: u.clone(),
            at: written.item.created_at,
            category: Some(CrisisCategory::Suicidal),
            reason: Some(CrisisReason::Rules { rule: rule.into() }),
            source: Some(FlagSource::Journal),
        }]
    );
    assert_eq!(
        w.fakes.queue.enqueued(),
        vec![Job::ExtractJournal {
            user: u,
            entry_id: written.item.id
        }],
        "still remembered"
    );
}

#[tokio::test]
async fn an_ordinary_entry_has_no_flag_and_no_event() {
    let w = World::new();
    let u = user("ana");
    let written = journal(&w)
        .add_entry(&u, "Baked bread with Maya today.")
        .await
        .unwrap();
    assert!(written.crisis.is_none());
    assert!(written.item.flag.is_none());
    assert!(w.fakes.events.published().is_empty());
}

#[tokio::test]
async fn a_prompt_over_a_flagged_entry_is_the_gentle_one_with_no_model_call() {
    let w = World::new();
    let u = user("ana");
    set_locale(&w, &u, "en-GB").await;
    let j = journal(&w);
    j.add_entry(&u, CRISIS).await.unwrap();
    w.deep.always_reply("A prompt no one should see here.");

    let written = j.prompt(&u).await.unwrap();
    assert_eq!(w.deep.call_count() + w.chat.call_count(), 0, "no model");
    assert!(written.item.text.starts_with(GENTLE_PROMPT));
    assert!(
        written.item.text.contains("116 123"),
        "{}",
        written.item.text
    );
    assert_eq!(written.crisis.unwrap().locale(), "en-GB");
    let stored = w
        .fakes
        .store
        .get_journal(&u, &written.item.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.text, written.item.text, "stored as returned");
}

#[tokio::test]
async fn a_prompt_over_crisis_words_that_carry_no_flag_is_gentle_too() {
    // Imported history: stored with no flag, so only screening what the
    // prompt reads can see it.
    let w = World::new();
    let u = user("ana");
    w.conversation(&u, &[CRISIS]).await;
    let written = journal(&w).prompt(&u).await.unwrap();
    assert_eq!(w.deep.call_count(), 0);
    assert!(written.item.text.starts_with(GENTLE_PROMPT));
    assert!(written.item.text.contains("988"));
}

#[tokio::test]
async fn an_ordinary_window_gets_the_models_prompt() {
    let w = World::new();
    let u = user("ana");
    w.conversation(&u, &["Work has been a lot this week."])
        .await;
    w.deep.reply("What has felt heaviest about work this week?");
    let written = journal(&w).prompt(&u).await.unwrap();
    assert_eq!(
        written.item.text,
        "What has felt heaviest about work this week?"
    );
    assert!(written.crisis.is_none());
}
