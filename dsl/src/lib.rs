//! gcc-nn DSL: the language of fixed-point piecewise functions.
