//! docs/crisis-protocol.md is held to the code: its version is the
//! screen's `PROTOCOL_VERSION`, it names every layer a flag can name, and
//! every locale of the resource table appears with its numbers.

use hearth::domain::crisis_resources::TABLE;
use hearth::domain::safety::PROTOCOL_VERSION;
use hearth::domain::safety::flag::CrisisReason;

fn document() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/crisis-protocol.md");
    std::fs::read_to_string(path).expect("docs/crisis-protocol.md")
}

#[test]
fn the_protocol_states_the_codes_version() {
    let doc = document();
    let line = doc
        .lines()
        .find(|l| l.starts_with("Protocol version:"))
        .expect("a 'Protocol version:' line");
    assert_eq!(line.trim(), format!("Protocol version: {PROTOCOL_VERSION}"));
}

#[test]
fn the_protocol_names_every_layer() {
    let doc = document();
    // Every variant: a new layer does not compile here until it is listed.
    let layers = |r: &CrisisReason| match r {
        CrisisReason::Rules { .. }
        | CrisisReason::Classifier { .. }
        | CrisisReason::Conversation { .. }
        | CrisisReason::ModelMark => r.layer(),
    };
    for reason in [
        CrisisReason::Rules {
            rule: String::new(),
        },
        CrisisReason::Classifier {
            score: 0.0,
            threshold: 0.0,
        },
        CrisisReason::Conversation {
            score: 0.0,
            threshold: 0.0,
        },
        CrisisReason::ModelMark,
    ] {
        let layer = layers(&reason);
        assert!(
            doc.contains(&format!("**`{layer}`**")),
            "the protocol does not describe the layer {layer}"
        );
    }
}

#[test]
fn the_protocol_lists_every_locale_with_its_numbers() {
    let doc = document();
    for row in TABLE {
        let line = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", row.locale)))
            .unwrap_or_else(|| panic!("no row for {} in the protocol", row.locale));
        for l in row.lines {
            if let Some(phone) = l.phone {
                assert!(
                    line.contains(phone),
                    "{}: the protocol does not give {} ({phone}): {line}",
                    row.locale,
                    l.name
                );
            }
        }
    }
}
