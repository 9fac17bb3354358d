//! Prints plan statistics (slots, AND batches) of a Bristol Fashion file given as argument.
fn main() {
    let path = std::env::args().nth(1).expect("usage: planstats FILE");
    let text = std::fs::read_to_string(&path).expect("read");
    let c = circuit::bristol::read_fashion(&text).expect("parse");
    let plan = gcc_nn_runtime::plan::Plan::new(&c).expect("valid");
    let flushes = plan.batch_ends.len();
    println!(
        "gates {} wires {} ANDs {} slots {} flushes {} (avg {:.1} ANDs per batch)",
        c.gates.len(),
        c.num_wires,
        plan.and_count,
        plan.num_slots,
        flushes,
        plan.and_count as f64 / flushes as f64
    );
}
