/**
 * The subhost API. Entry point: {@code Subhosts.linux()}.
 */
package org.subhost;
