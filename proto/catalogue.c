/*
 * The wishes catalogue, version 1 (see catalogue.h). The table is data:
 * append-only across versions, ids never reused.
 */
#include <string.h>

#include "proto/catalogue.h"
#include "proto/err.h"
#include "proto/msg.h"

static const struct catalogue_item items[] = {
	/* affection */
	{ "cuddle", "cuddle", "affection" },
	{ "hold-hands", "hold hands", "affection" },
	{ "long-hug", "a long hug", "affection" },
	{ "kiss", "kissing", "affection" },
	{ "spoon", "fall asleep spooning", "affection" },
	{ "lie-together", "lie together and talk", "affection" },
	{ "compliments", "hear what you like about me", "affection" },
	{ "love-notes", "leave each other notes", "affection" },
	{ "sit-close", "sit close on the sofa", "affection" },
	{ "morning-cuddle", "cuddle in the morning", "affection" },
	{ "nap-together", "nap together", "affection" },
	{ "play-hair", "play with my hair", "affection" },
	/* romance */
	{ "date-night", "a date night", "romance" },
	{ "dinner-out", "dinner out", "romance" },
	{ "cook-together", "cook together", "romance" },
	{ "dance", "dance together", "romance" },
	{ "walk", "a walk together", "romance" },
	{ "flowers", "flowers or a small gift", "romance" },
	{ "candlelight", "candles and music", "romance" },
	{ "dress-up", "dress up for each other", "romance" },
	{ "flirt-messages", "flirty messages during the day", "romance" },
	{ "stargazing", "look at the stars", "romance" },
	{ "picnic", "a picnic", "romance" },
	{ "surprise", "plan a surprise", "romance" },
	/* sensual */
	{ "massage", "massage", "sensual" },
	{ "foot-rub", "foot rub", "sensual" },
	{ "back-scratch", "back scratch", "sensual" },
	{ "bath-together", "a bath together", "sensual" },
	{ "shower-together", "shower together", "sensual" },
	{ "slow-kissing", "slow kissing", "sensual" },
	{ "make-out", "make out", "sensual" },
	{ "undress-each-other", "undress each other", "sensual" },
	{ "sleep-naked", "sleep naked", "sensual" },
	{ "oil-massage", "massage with oil", "sensual" },
	{ "blindfold", "a blindfold", "sensual" },
	{ "feathers-ice", "feathers or ice", "sensual" },
	{ "tease", "slow teasing", "sensual" },
	/* sexual */
	{ "sex", "sex", "sexual" },
	{ "quickie", "a quickie", "sexual" },
	{ "slow-sex", "slow, unhurried sex", "sexual" },
	{ "morning-sex", "morning sex", "sexual" },
	{ "oral-give", "give oral sex", "sexual" },
	{ "oral-receive", "receive oral sex", "sexual" },
	{ "hands", "touching with hands", "sexual" },
	{ "mutual-masturbation", "touch ourselves together", "sexual" },
	{ "toys", "toys", "sexual" },
	{ "new-position", "a new position", "sexual" },
	{ "new-place", "somewhere other than the bed", "sexual" },
	{ "lingerie", "lingerie", "sexual" },
	{ "dirty-talk", "talk dirty", "sexual" },
	{ "roleplay", "role play", "sexual" },
	{ "light-restraint", "light restraint", "sexual" },
	{ "spanking", "spanking", "sexual" },
	{ "take-charge", "you take charge", "sexual" },
	{ "me-charge", "I take charge", "sexual" },
	{ "watch-together", "watch something erotic together", "sexual" },
	{ "sexting", "sexting", "sexual" },
	{ "photos", "private photos", "sexual" },
	{ "share-fantasies", "tell each other fantasies", "sexual" },
	/* logistics */
	{ "night-away", "a night away", "logistics" },
	{ "weekend-away", "a weekend away", "logistics" },
	{ "hotel", "a hotel night", "logistics" },
	{ "kid-free-evening", "an evening without the kids", "logistics" },
	{ "phones-off", "an evening with phones off", "logistics" },
	{ "early-night", "go to bed early together", "logistics" },
	{ "scheduled-intimacy", "a planned time for intimacy", "logistics" },
	{ "talk-about-sex", "a talk about our sex life", "logistics" },
	{ "see-a-therapist", "see a couples therapist", "logistics" },
};

size_t
catalogue_count(void)
{
	return sizeof(items) / sizeof(items[0]);
}

const struct catalogue_item *
catalogue_item(size_t i)
{
	return i < catalogue_count() ? &items[i] : NULL;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '-' || c == '_';
}

static int
is_trim(char c)
{
	return c == ' ' || strchr(".,!?;:", c) != NULL;
}

int
catalogue_normalise(char *out, size_t cap, const char *in, size_t len)
{
	char tmp[4 * CATALOGUE_CUSTOM_MAX + 1];
	size_t i, n = 0, start = 0;
	int space = 0;

	if (out == NULL || cap == 0 || (in == NULL && len > 0))
		return ATT_EINVAL;
	out[0] = '\0';
	if (len > 4 * CATALOGUE_CUSTOM_MAX)
		return ATT_ESTRLONG;
	if (!msg_utf8_ok((const uint8_t *)in, len))
		return ATT_EINVAL;
	for (i = 0; i < len; i++) {   /* n <= i < len <= sizeof(tmp) - 1 throughout */
		unsigned char c = (unsigned char)in[i];

		if (is_space((char)c)) {
			space = n > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return ATT_EINVAL;
		if (space)
			tmp[n++] = ' ';
		space = 0;
		tmp[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	while (n > 0 && is_trim(tmp[n - 1]))
		n--;
	while (start < n && is_trim(tmp[start]))
		start++;
	n -= start;
	if (n == 0)
		return ATT_EINVAL;
	if (n > CATALOGUE_CUSTOM_MAX || n >= cap)
		return ATT_ESTRLONG;
	memcpy(out, tmp + start, n);
	out[n] = '\0';
	return (int)n;
}

int
catalogue_find(const char *text, size_t len)
{
	char norm[CATALOGUE_CUSTOM_MAX + 1], lab[CATALOGUE_CUSTOM_MAX + 1];
	size_t i;
	int n;

	if (text == NULL)
		return ATT_EINVAL;
	for (i = 0; i < catalogue_count(); i++)
		if (strlen(items[i].id) == len && memcmp(items[i].id, text, len) == 0)
			return (int)i;
	if ((n = catalogue_normalise(norm, sizeof(norm), text, len)) < 0)
		return ATT_ENOTFOUND;
	for (i = 0; i < catalogue_count(); i++) {
		int l = catalogue_normalise(lab, sizeof(lab), items[i].label, strlen(items[i].label));

		if (l == n && memcmp(lab, norm, (size_t)n) == 0)
			return (int)i;
		l = catalogue_normalise(lab, sizeof(lab), items[i].id, strlen(items[i].id));
		if (l == n && memcmp(lab, norm, (size_t)n) == 0)
			return (int)i;
	}
	return ATT_ENOTFOUND;
}
