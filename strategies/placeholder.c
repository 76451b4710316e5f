/* placeholder */
typedef int ar__strategies_placeholder;
