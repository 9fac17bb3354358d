//! The plaintext reference: the activation's 65,536 outputs, computed once by the DSL
//! interpreter from the checked program (in parallel).

use crate::{MIN_RAW, TABLE_LEN, WIDTH};
use rayon::prelude::*;

/// Index of a raw input in the table.
pub(crate) fn index(raw: i16) -> usize {
    (i64::from(raw) - MIN_RAW) as usize
}

/// Runs `program` (one `fixed<16, 12>` input and output) on every input.
pub(crate) fn build(program: &dsl::core::Program) -> Result<Vec<i16>, String> {
    let interp = dsl::Interpreter::new(program);
    let mask = (1u128 << WIDTH) - 1;
    (0..TABLE_LEN)
        .into_par_iter()
        .map(|i| {
            let raw = (i as i64 + MIN_RAW) as i16;
            let bits = u128::from(raw as u16) & mask;
            let out = interp.run(&[bits]).map_err(|e| e.to_string())?;
            match out.as_slice() {
                [y] => Ok((*y as u16) as i16),
                _ => Err(format!("{} outputs, expected 1", out.len())),
            }
        })
        .collect()
}
