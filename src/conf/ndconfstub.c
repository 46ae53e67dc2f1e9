/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placeholder until the XML layer lands; keeps the library non-empty. */
int ndConfPlaceholder(void);
int
ndConfPlaceholder(void)
{
    return 0;
}
