//! Ring-LWE linear layers for gcc-nn (work in progress).
