package main

// sweep is run under the name that reads best for a grid; both take the
// same flags (--jobs and --shard matter most here).
func init() {
	rootCmd.AddCommand(newRunCommand("sweep", "Run a scenario's sweep grid, optionally one shard of it (--shard i/n)"))
}
