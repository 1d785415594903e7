# bash completion for attune(1)
# Installed as $(BASHCOMPDIR)/attune; partner names and device ids come from
# the running daemon (attune partners/devices --json), so nothing is cached.

_attune_json_field() {
	# Prints the values of "KEY":"..." pairs from JSON on stdin, one per line.
	grep -o "\"$1\":\"[^\"]*\"" | cut -d'"' -f4
}

_attune() {
	local cur prev cmd words_all
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=${COMP_WORDS[1]}

	local commands="init pair link checkin bid respond retract status log watch partners devices revoke unpair export spark wishes unlock passphrase wipe help"
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
		return
	fi

	local levels_mood="1 2 3 4 5 awful low ok good great"
	local levels_desire="0 1 2 3 4 5 none low some medium high burning"
	local levels_capacity="0 1 2 3 4 5 none low limited ok good full"
	local tags="tired stressed sick touched-out anxious busy low relaxed playful close sad happy in-pain grieving"
	local offers="cuddle talk massage date sex space walk bath kiss movie"
	local kinds="tonight cuddle date talk massage sex walk"
	local times="tonight tomorrow +1h +2d sat mon 20:00"

	case "$prev" in
	--mood) COMPREPLY=($(compgen -W "$levels_mood" -- "$cur")); return ;;
	--desire) COMPREPLY=($(compgen -W "$levels_desire" -- "$cur")); return ;;
	--capacity) COMPREPLY=($(compgen -W "$levels_capacity" -- "$cur")); return ;;
	--tag|--reason) COMPREPLY=($(compgen -W "$tags" -- "$cur")); return ;;
	--open-to|--offer) COMPREPLY=($(compgen -W "$offers" -- "$cur")); return ;;
	--kind) COMPREPLY=($(compgen -W "$kinds" -- "$cur")); return ;;
	--raincheck|--at|--until) COMPREPLY=($(compgen -W "$times" -- "$cur")); return ;;
	--since) COMPREPLY=($(compgen -W "1d 7d 30d 90d yesterday" -- "$cur")); return ;;
	--answer) COMPREPLY=($(compgen -W "yes not-tonight later" -- "$cur")); return ;;
	--only) COMPREPLY=($(compgen -W "mood= desire= capacity= tags= open-to= responsive= note=" -- "$cur")); compopt -o nospace 2>/dev/null; return ;;
	--to|--cancel)
		COMPREPLY=($(compgen -W "$(attune partners --json 2>/dev/null | _attune_json_field name)" -- "$cur"))
		return ;;
	--name|--note|--relay|--invite) return ;;
	esac

	local flags
	case "$cmd" in
	init) flags="--name --relay --invite --passphrase --json" ;;
	passphrase) flags="--remove" ;;
	unlock) flags="" ;;
	pair) flags="--relay --json" ;;
	link) flags="--relay --invite --json" ;;
	checkin) flags="--mood --desire --capacity --tag --open-to --responsive --not-responsive --note --to --only --until --json" ;;
	bid) flags="--to --kind --note --at --until --json" ;;
	respond) flags="--yes --not-tonight --later --answer --reason --offer --raincheck --note --json" ;;
	log) flags="--since --json" ;;
	spark) flags="--to --for --cancel --json" ;;
	wishes) flags="--json" ;;
	status|watch|partners|devices|export|retract) flags="--json" ;;
	unpair) flags="--tell --yes" ;;
	wipe) flags="--yes" ;;
	revoke) flags="" ;;
	help) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
	esac

	if [[ "$cur" == -* ]]; then
		COMPREPLY=($(compgen -W "$flags --help" -- "$cur"))
		return
	fi
	case "$cmd" in
	unpair)
		COMPREPLY=($(compgen -W "$(attune partners --json 2>/dev/null | _attune_json_field name)" -- "$cur")) ;;
	revoke)
		COMPREPLY=($(compgen -W "$(attune devices --json 2>/dev/null | _attune_json_field id)" -- "$cur")) ;;
	respond)
		COMPREPLY=($(compgen -W "$(attune status --json 2>/dev/null | _attune_json_field id | cut -c1-8)" -- "$cur")) ;;
	wishes)
		case "${COMP_WORDS[COMP_CWORD-1]}" in
		wishes) COMPREPLY=($(compgen -W "set compare maybe-tier" -- "$cur")) ;;
		compare) COMPREPLY=($(compgen -W "$(attune partners --json 2>/dev/null | _attune_json_field name)" -- "$cur")) ;;
		maybe-tier) COMPREPLY=($(compgen -W "on off" -- "$cur")) ;;
		set) COMPREPLY=($(compgen -W "$(attune wishes --json 2>/dev/null | _attune_json_field id)" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "yes maybe no" -- "$cur")) ;;
		esac ;;
	esac
}
complete -F _attune attune
