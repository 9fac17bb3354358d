//! The per-variable AND breakdown (`report::and_breakdown_text`, the "where the ANDs go"
//! tables of `circuits/REPORT.md`) adds up to the compiled circuit's AND count, for every
//! shipped activation alone and linked into both protocol wrappers. Run with
//! `-- --nocapture` to print the breakdowns.

use gcc_nn_compiler as compiler;

use compiler::{PassOptions, lower, report};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The last number of the breakdown's `total` line.
fn total_of(text: &str) -> usize {
    let line = text
        .lines()
        .find(|l| l.starts_with("total"))
        .expect("a total line");
    line.split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .expect("a number")
}

fn check(name: &str, program: &dsl::core::Program) {
    for passes in [PassOptions::default(), PassOptions::none()] {
        let text = report::and_breakdown_text(program, &passes)
            .unwrap_or_else(|e| panic!("{name}: {}", e.render()));
        let circuit = lower::lower(program, &passes).expect("lowers");
        assert_eq!(total_of(&text), circuit.and_count(), "{name}\n{text}");
        let lines: usize = text
            .lines()
            .filter(|l| !l.starts_with("total"))
            .filter_map(|l| l.split_whitespace().last()?.parse::<usize>().ok())
            .sum();
        assert_eq!(lines, circuit.and_count(), "{name}: rows add up\n{text}");
        if passes == PassOptions::default() {
            eprintln!("== {name}: {} ANDs\n{text}", circuit.and_count());
        }
    }
}

#[test]
fn breakdowns_add_up_to_the_and_count() {
    let acts = ["relu", "sigmoid", "tanh", "tanh_fit", "tanh_fine", "gelu"];
    for act in acts {
        let file = format!("circuits/{act}.dsl");
        let src = read(&file);
        let program = dsl::check(&src, &file).unwrap_or_else(|d| panic!("{}", d.render()));
        check(&file, &program);
        for (wrapper, overrides) in [
            ("circuits/wrappers/shares.dsl", vec![]),
            (
                "circuits/wrappers/masked.dsl",
                vec![("YB".to_string(), "14".to_string())],
            ),
        ] {
            // Only the tanh family fits in YB = 14 bits; the others keep the default 16.
            let overrides = if act.starts_with("tanh") {
                overrides
            } else {
                Vec::new()
            };
            let wsrc = read(wrapper);
            let link = dsl::Link {
                name: "act",
                program: &program,
                file: &file,
                source: &src,
            };
            let linked = dsl::check_linked(&wsrc, wrapper, &overrides, &[link])
                .unwrap_or_else(|d| panic!("{}", d.render()));
            check(&format!("{wrapper} + {file}"), &linked);
        }
    }
}
