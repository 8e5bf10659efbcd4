// The fake tree's one source file: a series patches it, and a "#error" line fails the build.
int memcg_stats;
