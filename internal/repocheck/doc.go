// Package repocheck holds tests over the repository's own files rather than its code: every
// relative link of the README and docs/ resolves, and no binary is committed. It has no code of
// its own; its tests find the repository's root from this package's directory.
package repocheck
