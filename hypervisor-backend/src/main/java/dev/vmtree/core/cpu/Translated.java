package dev.vmtree.core.cpu;

/**
 * The code of one translated region, implemented by a hidden class {@link RegionCompiler} makes.
 * {@code run} starts at block head {@code slot} of the page whose virtual base is {@code base} and
 * runs whole blocks while {@code left} covers them. It returns the steps still left and leaves the
 * pc in {@link Hart#pc}; {@code max} is the interpreter's slice budget, so slow paths see the same
 * step counts as under the interpreter. Returning {@code left} unchanged means nothing ran.
 */
interface Translated {
    int run(Hart h, long base, int slot, int left, int max);
}
