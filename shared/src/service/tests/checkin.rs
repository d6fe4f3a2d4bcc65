//! The hourly check-in pass (`CheckinPass`) on fakes: one check-in per
//! person per local date however often the pass runs, none for people who
//! opted out or have not talked in the last 24 hours, and a push FCM could
//! not take counted and sent when the pass runs again.

use super::{World, user};
use crate::domain::checkin::{CheckIn, GENTLE, Settings};
use crate::domain::events::DomainEvent;
use crate::domain::ids::UserId;
use crate::domain::jobs::Job;
use crate::domain::page::PageRequest;
use crate::ports::{CheckinStore, PushError, PushOutcome, SettingsStore};
use crate::service::checkin::CheckinPass;
use crate::service::jobs::JobHandler;
use crate::testing::FakePush;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;

const LINE: &str = "How are you feeling about the interview?";
const TOKEN: &str = "device-token-1";

fn pass(w: &World, push: &Arc<FakePush>) -> CheckinPass {
    CheckinPass {
        conversations: w.fakes.store.clone(),
        settings: w.fakes.store.clone(),
        checkins: w.fakes.store.clone(),
        memories: w.fakes.store.clone(),
        events: w.fakes.events.clone(),
        push: Some(push.clone()),
        models: w.roles(),
        retriever: w.retriever.clone(),
        default_locale: "en-US".into(),
        notices: Default::default(),
    }
}

/// 2026-11-02 at `hour`:`minute` UTC; the people here live in UTC and
/// check in at 19:00, so the pass at 19:00 is theirs.
fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .unwrap()
}

/// A person who talked at `when`, with push on and `settings` changed by `tweak`.
async fn person(
    w: &World,
    name: &str,
    when: DateTime<Utc>,
    tweak: impl FnOnce(&mut Settings),
) -> UserId {
    let u = user(name);
    w.fakes.clock.set(when);
    w.conversation(&u, &["I have a job interview tomorrow."])
        .await;
    let mut settings = Settings {
        push_token: Some(TOKEN.into()),
        ..Settings::defaults("en-US")
    };
    tweak(&mut settings);
    w.fakes.store.put_settings(&u, &settings).await.unwrap();
    u
}

async fn checkins(w: &World, u: &UserId) -> Vec<CheckIn> {
    w.fakes
        .store
        .list_checkins(u, &PageRequest::first(10))
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn a_due_person_gets_one_checkin_per_local_date_however_often_the_pass_runs() {
    let w = World::new();
    let u = person(&w, "ana", at(2, 18, 0), |_| {}).await;
    w.checkin.always_reply(LINE);
    let push = w.fakes.push();
    let pass = pass(&w, &push);

    let first = pass.run(at(2, 19, 0)).await.unwrap();
    assert_eq!((first.considered, first.written, first.pushed), (1, 1, 1));
    for again in [at(2, 19, 0), at(2, 19, 40)] {
        let report = pass.run(again).await.unwrap();
        assert_eq!(
            (report.written, report.already, report.pushed),
            (0, 1, 0),
            "{again}"
        );
    }

    let stored = checkins(&w, &u).await;
    assert_eq!(stored.len(), 1, "one per local date");
    assert_eq!(
        (
            stored[0].text.as_str(),
            stored[0].local_date,
            stored[0].pushed
        ),
        (LINE, at(2, 19, 0).date_naive(), true)
    );
    assert_eq!(w.checkin.call_count(), 1, "one line written");
    let sent = push.sent();
    assert_eq!(sent.len(), 1, "one push");
    assert_eq!(
        (
            sent[0].device_token.as_str(),
            sent[0].notification.body.as_str()
        ),
        (TOKEN, LINE)
    );
    let ready: Vec<_> = w
        .fakes
        .events
        .published()
        .into_iter()
        .filter(|e| matches!(e, DomainEvent::CheckInReady { .. }))
        .collect();
    assert_eq!(ready.len(), 1);
}

#[tokio::test]
async fn people_who_opted_out_or_have_not_talked_for_a_day_get_no_checkin() {
    let w = World::new();
    let opted_out = person(&w, "opted-out", at(2, 18, 0), |s| {
        s.checkins_enabled = false
    })
    .await;
    // Talked yesterday morning: listed as active yesterday, but not in
    // the 24 hours before the pass.
    let quiet = person(&w, "quiet", at(1, 10, 0), |_| {}).await;
    let gone = person(&w, "gone", at(1, 10, 0) - Duration::days(3), |_| {}).await;
    let due = person(&w, "due", at(2, 18, 30), |_| {}).await;
    w.checkin.always_reply(LINE);
    let push = w.fakes.push();

    let report = pass(&w, &push).run(at(2, 19, 0)).await.unwrap();
    assert_eq!(
        (report.considered, report.written),
        (3, 1),
        "opted-out, quiet and due are active; only due is written: {report:?}"
    );
    for u in [&opted_out, &quiet, &gone] {
        assert!(checkins(&w, u).await.is_empty(), "{u}");
    }
    assert_eq!(checkins(&w, &due).await.len(), 1);
    assert_eq!(
        w.checkin.call_count(),
        1,
        "the model is asked for the due person only"
    );
    assert_eq!(push.sent().len(), 1);
}

#[tokio::test]
async fn a_push_fcm_could_not_take_is_counted_and_sent_when_the_pass_runs_again() {
    let w = World::new();
    let u = person(&w, "ana", at(2, 18, 0), |_| {}).await;
    w.checkin.always_reply(LINE);
    let push = w.fakes.push();
    push.then(Err(PushError::Retryable("FCM answered 503".into())));
    let pass = pass(&w, &push);

    let first = pass.run(at(2, 19, 0)).await.unwrap();
    assert_eq!((first.written, first.pushed, first.push_failed), (1, 0, 1));
    assert!(first.retry_would_help());
    assert!(!checkins(&w, &u).await[0].pushed, "stored, not pushed");

    let second = pass.run(at(2, 19, 0)).await.unwrap();
    assert_eq!(
        (
            second.written,
            second.already,
            second.pushed,
            second.push_failed
        ),
        (0, 1, 1, 0)
    );
    assert!(!second.retry_would_help());
    let stored = checkins(&w, &u).await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].pushed);
    assert_eq!(w.checkin.call_count(), 1, "the same line, not a new one");
    assert_eq!(push.sent().len(), 2);
    assert_eq!(push.sent()[1].notification.body, LINE);
}

#[tokio::test]
async fn a_checkin_job_fails_while_fcm_is_unavailable_so_that_its_redelivery_pushes() {
    let w = World::new();
    let u = person(&w, "ana", at(2, 18, 0), |_| {}).await;
    w.checkin.always_reply(LINE);
    let push = w.fakes.push();
    push.then(Err(PushError::Retryable("FCM answered 503".into())));
    let pass = pass(&w, &push);
    let job = Job::Checkin {
        user: u.clone(),
        at: at(2, 19, 0),
    };

    let err = pass.handle(&job).await.unwrap_err();
    assert!(err.retry_can_help(), "{err}");
    pass.handle(&job).await.expect("the redelivery pushes it");
    let stored = checkins(&w, &u).await;
    assert_eq!((stored.len(), stored[0].pushed), (1, true));
    assert_eq!(push.sent().len(), 2);
    pass.handle(&job)
        .await
        .expect("a third delivery finds it done");
    assert_eq!(push.sent().len(), 2, "and pushes nothing more");
}

#[tokio::test]
async fn a_device_token_fcm_no_longer_knows_is_forgotten() {
    let w = World::new();
    let u = person(&w, "ana", at(2, 18, 0), |_| {}).await;
    w.checkin.always_reply(LINE);
    let push = w.fakes.push();
    push.then(Ok(PushOutcome::Unregistered));
    let report = pass(&w, &push).run(at(2, 19, 0)).await.unwrap();
    assert_eq!(
        (report.written, report.pushed, report.push_failed),
        (1, 0, 0)
    );
    let settings = w.fakes.store.settings(&u).await.unwrap().unwrap();
    assert_eq!(settings.push_token, None);
    assert_eq!(checkins(&w, &u).await.len(), 1, "the check-in stays listed");
}

#[tokio::test]
async fn a_crisis_in_what_the_checkin_reads_gives_the_gentle_line_with_their_resources() {
    // Imported history, say: stored with no flag, so only screening what
    // the check-in reads can see it.
    let w = World::new();
    let u = user("ana");
    w.fakes.clock.set(at(2, 18, 0));
    w.conversation(&u, &["I want to kill myself"]).await;
    let settings = Settings {
        locale: "en-GB".into(),
        ..Settings::defaults("en-US")
    };
    w.fakes.store.put_settings(&u, &settings).await.unwrap();
    w.checkin.always_reply(LINE);
    let push = w.fakes.push();

    let report = pass(&w, &push).run(at(2, 19, 0)).await.unwrap();
    assert_eq!(report.written, 1);
    let c = &checkins(&w, &u).await[0];
    assert_eq!(c.variant, "gentle");
    assert!(c.text.starts_with(GENTLE), "{}", c.text);
    assert!(
        c.text.contains("116 123"),
        "their locale's resources: {}",
        c.text
    );
    assert_eq!(w.checkin.call_count(), 0, "no model reads a crisis");
}

#[tokio::test]
async fn the_gentle_line_is_in_the_language_of_their_resources() {
    let w = World::new();
    let u = user("lucia");
    w.fakes.clock.set(at(2, 18, 0));
    w.conversation(&u, &["ya no quiero vivir"]).await;
    let settings = Settings {
        locale: "es-MX".into(),
        ..Settings::defaults("en-US")
    };
    w.fakes.store.put_settings(&u, &settings).await.unwrap();
    w.checkin.always_reply(LINE);
    let push = w.fakes.push();

    pass(&w, &push).run(at(2, 19, 0)).await.unwrap();
    let c = &checkins(&w, &u).await[0];
    assert_eq!(c.variant, "gentle");
    let spanish = crate::domain::checkin::gentle(crate::domain::crisis_resources::Language::Es);
    assert!(c.text.starts_with(spanish), "{}", c.text);
    assert!(c.text.contains("800 911 2000"), "{}", c.text);
    assert!(c.text.contains("Si necesitas apoyo"), "{}", c.text);
}

#[tokio::test]
async fn a_checkin_line_that_claims_to_be_human_is_replaced_by_the_fallback_line() {
    let w = World::new();
    let u = person(&w, "hal", at(2, 18, 0), |_| {}).await;
    w.checkin
        .always_reply("I'm a real person, not a bot. How was the interview?");
    let push = w.fakes.push();
    pass(&w, &push).run(at(2, 19, 0)).await.unwrap();
    let stored = checkins(&w, &u).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].variant, "fallback");
    assert!(
        !stored[0].text.contains("real person"),
        "{}",
        stored[0].text
    );
    assert_eq!(push.sent()[0].notification.body, stored[0].text);
}

/// A person who talked on 2026-11-02 at 18:00, and whose extraction left
/// the sensitive marker for `day`.
async fn person_with_hard_day(w: &World, name: &str, day: chrono::NaiveDate) -> UserId {
    use crate::domain::extraction::{Plan, hard_day_markers};
    use crate::ports::MemoryStore;
    let u = user(name);
    w.fakes.clock.set(at(2, 18, 0));
    let (session, messages) = w.conversation(&u, &["Work was long today."]).await;
    let now = w.now();
    let plan = Plan {
        writes: hard_day_markers(&[day], &[], &[], &session, now),
        summary: String::new(),
        added: 1,
        index: Vec::new(),
    };
    let through = messages.last().map_or(0, |m| m.seq);
    w.fakes
        .store
        .apply_extraction(&u, &session, 0, through, &plan, now)
        .await
        .unwrap();
    u
}

#[tokio::test]
async fn a_hard_day_marker_for_yesterday_makes_the_checkin_gentle_with_no_model_call() {
    let w = World::new();
    let yesterday = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let u = person_with_hard_day(&w, "rhea", yesterday).await;
    w.checkin.always_reply(LINE);
    let push = w.fakes.push();

    pass(&w, &push).run(at(2, 19, 0)).await.unwrap();
    let c = &checkins(&w, &u).await[0];
    assert_eq!(c.variant, "gentle");
    assert!(c.text.starts_with(GENTLE), "{}", c.text);
    assert!(
        c.text.contains("988"),
        "the resources come with it: {}",
        c.text
    );
    assert!(
        !c.text.contains("hard day"),
        "the marker itself is never shown: {}",
        c.text
    );
    assert_eq!(w.checkin.call_count(), 0);
}

#[tokio::test]
async fn an_older_hard_day_marker_leaves_the_checkin_as_usual() {
    let w = World::new();
    let long_ago = chrono::NaiveDate::from_ymd_opt(2026, 10, 29).unwrap();
    let u = person_with_hard_day(&w, "sana", long_ago).await;
    w.checkin.always_reply(LINE);
    let push = w.fakes.push();

    pass(&w, &push).run(at(2, 19, 0)).await.unwrap();
    let c = &checkins(&w, &u).await[0];
    assert_eq!(c.variant, "model");
    assert_eq!(c.text, LINE);
}

#[tokio::test]
async fn a_checkin_line_with_method_detail_is_replaced_by_the_gentle_line_with_resources() {
    let w = World::new();
    let u = person(&w, "ivo", at(2, 18, 0), |_| {}).await;
    w.checkin
        .always_reply("About 40 tablets would usually be a lethal dose.");
    let push = w.fakes.push();
    pass(&w, &push).run(at(2, 19, 0)).await.unwrap();
    let c = &checkins(&w, &u).await[0];
    assert_eq!(c.variant, "gentle");
    assert!(c.text.starts_with(GENTLE), "{}", c.text);
    assert!(!c.text.contains("tablets"), "{}", c.text);
    assert!(c.text.contains("988"), "{}", c.text);
    assert_eq!(push.sent()[0].notification.body, c.text);
}
