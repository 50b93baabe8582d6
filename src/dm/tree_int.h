/* Helpers shared by tree.c and tree_io.c (not part of the tree API). */
#ifndef MCX_DM_TREE_INT_H
#define MCX_DM_TREE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "dm/tree.h"

void tree_node_free(struct dm_node *n);
struct dm_node *tree_node_new(const char *name, size_t len, bool interior);
void tree_node_link(struct dm_node *parent, struct dm_node *n);
/* *field = copy of s[0..n) (NULL clears); false on ENOMEM, field untouched. */
bool tree_strset(char **field, const char *s, size_t n);
/* A node name within max bytes, not "." or "..", without '/', '?' or controls. */
bool tree_name_ok(const char *s, size_t len, size_t max);
/* Is n at or below the top-level node named top? */
bool tree_under(const struct dm_node *n, const char *top);
/* Set the access types the standard MOs' positions imply. */
void tree_std_access(struct dm_tree *t);

#endif
