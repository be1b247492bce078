// Package config reads todai.yaml: the warehouse, the local state file, the sync settings, the teams and the
// default language. Secrets stay out of the file: any string value may name environment variables as ${NAME},
// and the TODAI_* variables and the global flags override the file.
package config
